/** `perennial demo`: synthetic demo data, written straight into the database (not through the API). */
import { InvalidArgumentError, type Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { generateDemoData } from '../../demo/generator';
import { migrate } from '../../drizzle/migrate';
import { connectDatabase } from '../../platform/connect';
import { databaseConfigFromEnv } from '../../platform/env';
import { CliSetupError } from '../api';
import { pairs } from '../format';
import type { Cli } from '../shared';

export function registerDemo(program: Command, { emit, globals }: Cli): void {
  const demo = program.command('demo').description('synthetic demo data, written straight into the database');

  demo
    .command('generate')
    .description(
      'a deterministic brand: customers with identities, orders, devices, telemetry, leads (DATABASE_URL, else the PGlite of npm start while it is stopped)',
    )
    .requiredOption('--customers <n>', 'how many customers (1 to 1,000,000)', (raw) => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
        throw new InvalidArgumentError('an integer from 1 to 1,000,000');
      return n;
    })
    .option('--seed <n>', 'random seed', (raw) => Number(raw), 42)
    .option('--now <iso>', 'the generated history ends at this instant (default: now)')
    .action(async (options: { customers: number; seed: number; now?: string }) => {
      const config = databaseConfigFromEnv(process.env);
      // PGlite is one process's file: writing to it under a running `npm start` would corrupt it.
      if ('pgliteDir' in config) {
        const running = await fetch(new URL('/health', globals().apiUrl)).then(
          (r) => r.ok,
          () => false,
        );
        if (running)
          throw new CliSetupError(
            `npm start is running on ${config.pgliteDir}: stop it first, or set DATABASE_URL to a Postgres server`,
          );
      }
      const database = await connectDatabase(config).catch((error: unknown) => {
        throw new CliSetupError(error instanceof Error ? error.message : String(error));
      });
      try {
        await migrate(database);
        const bar =
          process.stderr.isTTY && !globals().json
            ? new SingleBar(
                {
                  format: 'generating |{bar}| {value}/{total} customers · {eta_formatted} left',
                  stream: process.stderr,
                },
                Presets.shades_classic,
              )
            : undefined;
        bar?.start(options.customers, 0);
        const summary = await generateDemoData({
          db: database.db,
          customers: options.customers,
          seed: options.seed,
          now: options.now ? new Date(options.now) : undefined,
          onProgress: ({ done }) => bar?.update(done),
        });
        bar?.stop();
        emit(
          { summary, database: database.describe },
          () => `${pairs(Object.entries(summary))}\nwritten to ${database.describe}`,
        );
      } finally {
        await database.close();
      }
    });
}
