import { Command } from 'commander';
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

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
