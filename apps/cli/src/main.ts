import { Command } from 'commander';
import { callApi, resolveApiTarget } from './api-client';
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

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
