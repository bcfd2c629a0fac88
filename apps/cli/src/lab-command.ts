import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { validateInventory } from '@plinth/domain';
import {
  credentialsSecretValue,
  DEFAULT_NETBOOT_URL,
  startLab,
  type Lab,
  type LabOptions,
} from '@plinth/lab';

/** Flags of `plinth lab up`, as commander parses them. */
export interface LabUpFlags {
  machines: string;
  ipmi: string;
  storage: string;
  mockups: boolean;
  netbootUrl: string;
  controlPort: string;
  bmcNet: string;
  sshNet: string;
  bmcPort: string;
  sshPort: string;
  export?: string;
  verbose: boolean;
}

/** The line `plinth lab up` prints once everything answers; scripts and tests wait for it. */
export const LAB_READY_LINE = 'The lab is running. Press Ctrl-C to stop.';

/**
 * `plinth lab up`: starts the simulated datacenter in the foreground, prints every machine and
 * where its credentials are, writes the inventory, and runs until Ctrl-C or SIGTERM, then stops
 * everything it started (BMCs, ipmi_sim processes, hosts' SSH servers). Returns the exit code.
 */
export async function labUpCommand(flags: LabUpFlags, env = process.env): Promise<number> {
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const options = labOptionsOf(flags);
  const home = resolve(env['PLINTH_HOME'] ?? '.plinth');
  const labDir = join(home, 'lab');
  const interrupted = new AbortController();
  const signalled = new Promise<string>((resolveSignal) => {
    const on = (signal: string) => (): void => {
      interrupted.abort();
      resolveSignal(signal);
    };
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });

  const started = Date.now();
  say(`Starting the lab: ${describe(options)}…`);
  let lab: Lab;
  try {
    lab = await startLab({ ...options, workDir: join(labDir, 'bmc') });
  } catch (error) {
    process.stderr.write(
      `✗ ${error instanceof Error ? error.message : String(error)}\nNothing was left running.\n`,
    );
    return 1;
  }
  try {
    // Ctrl-C while starting: stop at once rather than print a lab that is going away.
    if (interrupted.signal.aborted) return await stop(lab, say, 130);
    const credentialsFile = join(labDir, 'bmc-credentials');
    const inventoryFile = resolve(flags.export ?? join(labDir, 'inventory.yaml'));
    await writeSecretFile(credentialsFile, `${credentialsSecretValue(lab.credentials)}\n`);
    await mkdir(dirname(inventoryFile), { recursive: true });
    await writeFile(inventoryFile, lab.inventoryYaml());
    printMachines(lab, say);
    say('');
    say(
      `  Control API      ${lab.controlUrl}   (GET /machines, PATCH /machines/<name>/faults — docs/lab.md)`,
    );
    say(`  BMC credentials  ${lab.credentialsRef}: "username:password" is in ${credentialsFile} (mode 0600)`);
    say(`  Inventory        ${inventoryFile}`);
    say(`  Netboot URL      ${options.netbootUrl ?? DEFAULT_NETBOOT_URL}?mac=<boot MAC>`);
    say('');
    say(
      `Store the credentials as ${lab.credentialsRef}, then import the inventory (PLINTH_TOKEN: an admin token):`,
    );
    say(
      `  curl -fsS -X POST -H "Authorization: Bearer $PLINTH_TOKEN" -H 'content-type: application/json' \\\n` +
        `    --data "{\\"name\\":\\"lab-bmc\\",\\"value\\":\\"$(cat ${credentialsFile})\\"}" http://127.0.0.1:3000/secrets`,
    );
    say(
      `  curl -fsS -X POST -H "Authorization: Bearer $PLINTH_TOKEN" -H 'content-type: application/yaml' \\\n` +
        `    --data-binary @${inventoryFile} http://127.0.0.1:3000/machines/import`,
    );
    say('');
    const validation = validateInventory(lab.inventory());
    if (!validation.ok) {
      // The two DMTF mockups describe the same server (same serial and MACs): say so rather than hide it.
      say('Warning: the inventory will not import as it is:');
      for (const problem of validation.problems) say(`  ${problem.path}: ${problem.message}`);
      say('');
    }
    say(`Started ${lab.machines.length} machines in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    if (flags.verbose) watchPhases(lab, say);
    say(LAB_READY_LINE);
    const signal = await signalled;
    return await stop(lab, say, signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1);
  } catch (error) {
    process.stderr.write(`✗ ${error instanceof Error ? error.message : String(error)}\n`);
    return await stop(lab, say, 1);
  }
}

function labOptionsOf(flags: LabUpFlags): LabOptions {
  return {
    machines: wholeNumber('--machines', flags.machines),
    ipmi: wholeNumber('--ipmi', flags.ipmi),
    storage: wholeNumber('--storage', flags.storage),
    mockups: flags.mockups,
    netbootUrl: flags.netbootUrl,
    controlPort: wholeNumber('--control-port', flags.controlPort),
    bmcNetwork: flags.bmcNet,
    sshNetwork: flags.sshNet,
    bmcPort: wholeNumber('--bmc-port', flags.bmcPort),
    sshPort: wholeNumber('--ssh-port', flags.sshPort),
  };
}

function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`${flag} must be a whole number, got "${text}"`);
  return Number(text);
}

function describe(options: LabOptions): string {
  const parts = [`${options.machines} machines`];
  if (options.ipmi) parts.push(`${options.ipmi} over IPMI`);
  if (options.storage) parts.push(`${options.storage} storage`);
  if (options.mockups) parts.push('2 DMTF mockups');
  return parts.join(', ');
}

/** One line per machine; with a thousand machines that is a thousand lines, which is what was asked for. */
function printMachines(lab: Lab, say: (line: string) => void): void {
  const rows = lab.machines.map((entry) => {
    const ssh = entry.sshAddress();
    return [
      entry.name,
      entry.bmc.address,
      lab.credentialsRef,
      entry.machine.bootMac,
      `${ssh.host}:${ssh.port ?? '(chosen at install)'}`,
      entry.spec.labels['pool'] ?? '',
    ];
  });
  const header = ['MACHINE', 'BMC', 'CREDENTIALS', 'BOOT MAC', 'SSH', 'POOL'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]): string =>
    `  ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd();
  say('');
  say(line(header));
  for (const row of rows) say(line(row));
}

function watchPhases(lab: Lab, say: (line: string) => void): void {
  for (const entry of lab.machines) {
    entry.machine.on('phase', (phase) => {
      const error =
        phase === 'install-failed' && entry.machine.lastBootError ? `: ${entry.machine.lastBootError}` : '';
      say(`  ${entry.name} ${phase}${error}`);
    });
  }
}

async function stop(lab: Lab, say: (line: string) => void, code: number): Promise<number> {
  say('Stopping the lab…');
  await lab.close();
  say('Stopped every BMC and host.');
  return code;
}

async function writeSecretFile(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, content, { mode: 0o600 });
  // The mode given to writeFile applies only when the file is created; an older file keeps its own.
  await chmod(path, 0o600);
}
