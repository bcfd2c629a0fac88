import { Command } from 'commander';
import { callApi, resolveApiTarget } from './api-client';
import { labUpCommand, type LabUpFlags } from './lab-command';
import { registerTemplatesCommand } from './templates-command';
import { upCommand } from './up-command';

const program = new Command('plinth')
  .description('Plinth builds clusters on physical servers as durable Temporal workflows.')
  .showHelpAfterError();

program
  .command('up')
  .description('start PostgreSQL, Temporal, the API and a worker locally; Ctrl-C stops them all')
  .option('--exit', 'stop everything after the start-up self-check (for scripts and CI)', false)
  .action(async (options: { exit: boolean }) => {
    process.exitCode = await upCommand(options);
  });

const token = program.command('token').description('API tokens');
token
  .command('create')
  .description('issue an API token (needs an admin token); prints it once')
  .requiredOption('--name <name>', 'who or what uses the token, e.g. ci-pipeline')
  .option('--scopes <list>', 'comma-separated: read, write, admin', 'read')
  .option('--api <url>', 'API URL (default: PLINTH_API_URL, .plinth/api-url, http://127.0.0.1:3000)')
  .option('--token <token>', 'admin token (default: PLINTH_TOKEN, .plinth/admin-token)')
  .action(async (options: { name: string; scopes: string; api?: string; token?: string }) => {
    const target = resolveApiTarget(options);
    const created = await callApi<{ id: string; name: string; token: string; scopes: string[] }>(
      target,
      'POST',
      '/tokens',
      { name: options.name, scopes: options.scopes.split(',').map((scope) => scope.trim()) },
    );
    process.stdout.write(
      `Created token "${created.name}" with scopes [${created.scopes.join(', ')}]. It is shown only now:\n${created.token}\n`,
    );
  });

const lab = program
  .command('lab')
  .description('the simulated datacenter (Redfish/IPMI BMCs, netbooting hosts, SSH)');
lab
  .command('up')
  .description('start lab machines on loopback and print their BMCs; Ctrl-C stops them all')
  .option('--machines <n>', 'control planes (the first 3) and workers', '6')
  .option('--ipmi <n>', 'how many of those, counted from the last, have an IPMI BMC instead of Redfish', '0')
  .option('--storage <n>', 'extra storage-2u machines', '0')
  .option('--mockups', 'add one machine per DMTF Redfish mockup', false)
  .option('--netboot-url <url>', 'the provisioner URL hosts netboot from', 'http://127.0.0.1:3000/boot/ipxe')
  .option('--control-port <port>', 'port of the lab control API (0: a free one)', '0')
  .option('--bmc-net <net>', 'first two octets of BMC addresses', '127.1')
  .option('--ssh-net <net>', 'first two octets of host (SSH) addresses', '127.2')
  .option('--bmc-port <port>', 'port of every BMC (0: a free one each)', '8000')
  .option('--ssh-port <port>', 'port of every host sshd (0: a free one each)', '2222')
  .option('--export <file>', 'where to write the inventory YAML (default: PLINTH_HOME/lab/inventory.yaml)')
  .option('--verbose', 'print every machine phase change (netboot, installing, os-running…)', false)
  .action(async (options: LabUpFlags) => {
    process.exitCode = await labUpCommand(options);
  });

registerTemplatesCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
