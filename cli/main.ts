/**
 * `perennial`: the ops command line over the HTTP API. Tables for people; `--json` prints the API's
 * answer unchanged (shapes in docs/cli.md) for scripts. Exit codes: 0 ok, 1 the API refused (4xx/5xx)
 * or validation failed, 2 the API or a key could not be found.
 *
 *   npx tsx cli/main.ts enrollments list --journey phone-nurture --step wait1
 *   npm run perennial -- analytics journey phone-nurture --json
 */
import { Command, Option } from 'commander';
import { ApiError, CliSetupError } from './api';
import { registerAnalytics } from './commands/analytics';
import { registerCustomers } from './commands/customers';
import { registerDemo } from './commands/demo';
import { registerEnrollments } from './commands/enrollments';
import { registerJourneys } from './commands/journeys';
import { registerLibrary } from './commands/library';
import { createCli } from './shared';

const program = new Command('perennial')
  .description('Perennial ops: journeys, enrollments, customers and analytics over the HTTP API')
  .addOption(
    new Option('--api-url <url>', 'the Perennial API').env('PERENNIAL_API_URL').default('http://127.0.0.1:3000'),
  )
  .addOption(
    new Option('--api-key <key>', 'an admin key (default: .data/admin-key written by npm start)').env(
      'PERENNIAL_API_KEY',
    ),
  )
  .option('--json', 'print the API answer as JSON (stable shapes, see docs/cli.md)')
  .showHelpAfterError();

const cli = createCli(program);
const { globals } = cli;
registerJourneys(program, cli);
registerEnrollments(program, cli);
registerCustomers(program, cli);
registerAnalytics(program, cli);
registerLibrary(program, cli);
registerDemo(program, cli);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof ApiError) {
    if (globals().json) process.stderr.write(`${JSON.stringify({ status: error.status, ...error.body })}\n`);
    else process.stderr.write(`perennial: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (error instanceof CliSetupError) {
    process.stderr.write(`perennial: ${error.message}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`perennial: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
