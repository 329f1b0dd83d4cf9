/**
 * `npm run demo:generate -- --customers 100000 [--seed 42] [--now 2026-11-01T00:00:00Z]`: writes a
 * synthetic brand into the database of DATABASE_URL (or the embedded PGlite of `npm start`), with a
 * progress bar. Deterministic for a given seed and --now.
 */
import { Command, InvalidArgumentError } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { migrate } from '../drizzle/migrate';
import { generateDemoData } from '../demo/generator';
import { connectDatabase, DependencyError } from '../platform/connect';
import { databaseConfigFromEnv, EnvError } from '../platform/env';

const positive = (max: number) => (raw: string) => {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new InvalidArgumentError(`an integer from 1 to ${max.toLocaleString('en')}`);
  return value;
};

const program = new Command('demo:generate')
  .description('generate a deterministic synthetic brand: customers, identities, orders, devices, telemetry, leads')
  .requiredOption('--customers <n>', 'how many customers (1 to 1,000,000)', positive(1_000_000))
  .option('--seed <n>', 'random seed', positive(2 ** 31), 42)
  .option('--now <iso>', 'the generated history ends at this instant (default: now)', (raw) => {
    const at = new Date(raw);
    if (Number.isNaN(at.getTime())) throw new InvalidArgumentError('an ISO 8601 date-time');
    return at;
  })
  .action(async (options: { customers: number; seed: number; now?: Date }) => {
    const database = await connectDatabase(databaseConfigFromEnv(process.env));
    try {
      await migrate(database);
      const bar = new SingleBar(
        { format: 'generating |{bar}| {value}/{total} customers · {eta_formatted} left', hideCursor: true },
        Presets.shades_classic,
      );
      bar.start(options.customers, 0);
      const started = Date.now();
      const summary = await generateDemoData({
        db: database.db,
        customers: options.customers,
        seed: options.seed,
        now: options.now,
        onProgress: ({ done }) => bar.update(done),
      });
      bar.stop();
      console.table(summary);
      console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s (${database.describe})`);
    } finally {
      await database.close();
    }
  });

program.parseAsync().catch((error: unknown) => {
  if (error instanceof DependencyError || error instanceof EnvError) {
    console.error(`demo:generate: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
