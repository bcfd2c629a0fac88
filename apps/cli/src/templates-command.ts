import type { Command } from 'commander';
import { callApi, resolveApiTarget } from './api-client';

/** Flags of `plinth templates render`, as commander parses them. */
export interface TemplatesRenderFlags {
  machine: string;
  cluster?: string;
  file?: string;
  api?: string;
  token?: string;
}

/** The API's masked preview (`GET /templates/render`). */
interface InstallPreview {
  machine: string;
  cluster: string;
  role: string;
  installer: string;
  maskedSecrets: string[];
  paramSources: Record<string, string>;
  files: { name: string; content: string }[];
}

/** Where the command writes; the process streams by default. */
export interface CommandOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processOutput: CommandOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Adds `plinth templates render --machine X [--cluster C] [--file F]`. */
export function registerTemplatesCommand(program: Command): void {
  const templates = program.command('templates').description('install templates and the configs they render');
  templates
    .command('render')
    .description(
      "print a machine's install config as it would be rendered now (iPXE script, autoinstall, preseed or kickstart), secrets and boot tokens masked",
    )
    .requiredOption('--machine <name>', 'the machine to render')
    .option('--cluster <name>', 'the cluster to render it in (default: the one cluster that selects it)')
    .option('--file <name>', 'print only this file: boot.ipxe, user-data, meta-data, preseed.cfg or ks.cfg')
    .option('--api <url>', 'API URL (default: PLINTH_API_URL, .plinth/api-url, http://127.0.0.1:3000)')
    .option('--token <token>', 'API token with read scope (default: PLINTH_TOKEN, .plinth/admin-token)')
    .action(async (flags: TemplatesRenderFlags) => {
      process.exitCode = await templatesRenderCommand(flags);
    });
}

/**
 * Fetches the masked preview from the API and prints each file under a `==> name <==` header
 * (as `tail` does for several files). Nothing is stored and no token is minted. Returns the exit code.
 */
export async function templatesRenderCommand(
  flags: TemplatesRenderFlags,
  output: CommandOutput = processOutput,
): Promise<number> {
  let preview: InstallPreview;
  try {
    const query = new URLSearchParams({
      machine: flags.machine,
      ...(flags.cluster ? { cluster: flags.cluster } : {}),
    });
    preview = await callApi<InstallPreview>(
      resolveApiTarget(flags),
      'GET',
      `/templates/render?${query.toString()}`,
    );
  } catch (error) {
    output.err(`${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const files = flags.file ? preview.files.filter((file) => file.name === flags.file) : preview.files;
  if (files.length === 0) {
    output.err(
      `${preview.machine} has no file "${flags.file ?? ''}"; its ${preview.installer} install has: ${preview.files.map((file) => file.name).join(', ')}\n`,
    );
    return 1;
  }
  output.out(`# ${preview.machine} (${preview.role}) in cluster ${preview.cluster}: ${preview.installer}\n`);
  output.out(
    `# masked as ********: boot tokens${preview.maskedSecrets.length > 0 ? `, ${preview.maskedSecrets.join(', ')}` : ''}\n`,
  );
  for (const file of files) {
    output.out(`\n==> ${file.name} <==\n${file.content}${file.content.endsWith('\n') ? '' : '\n'}`);
  }
  return 0;
}
