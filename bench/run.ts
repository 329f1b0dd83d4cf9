/**
 * `npm run bench [-- --quick] [-- <name>…]`: each benchmark runs our code and the raw library doing
 * the same work in the same run, and reports the ratio (machines are noisy; ratios are comparable),
 * or a measure against its goal. Prints a table on stdout, progress on stderr, and writes
 * `bench/results/<date>[-quick].json`. Missed goals are reported, never fatal; errors are (exit 1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import Table from 'cli-table3';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { audienceModels } from './audience-models';
import { startBenchEnv, type Benchmark, type Row } from './env';
import { emailSend } from './email-send';
import { enrollmentStart } from './enrollment-start';
import { history } from './history';
import { ingest } from './ingest';
import { scale } from './scale';
import { simulation } from './simulation';
import { templateRender } from './template-render';

const benchmarks: Benchmark[] = [
  templateRender,
  simulation,
  history,
  ingest,
  enrollmentStart,
  emailSend,
  scale,
  audienceModels,
];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !benchmarks.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; known: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = benchmarks.filter((b) => names.length === 0 || names.includes(b.name));

// Warnings and errors only (the SDK logs every worker state change, the core warns about dev-server capabilities).
Runtime.install({
  logger: new DefaultLogger('WARN'),
  telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
});
const started = Date.now();
const env = await startBenchEnv({ quick });
const rows: Row[] = [];
const failures: { benchmark: string; error: string }[] = [];
try {
  for (const benchmark of selected) {
    env.progress(`${benchmark.name}: ${benchmark.title}`);
    const t0 = Date.now();
    try {
      rows.push(...(await benchmark.run(env)));
      env.progress(`${benchmark.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      env.progress(`${benchmark.name}: FAILED ${message}`);
      failures.push({ benchmark: benchmark.name, error: message.split('\n')[0] ?? message });
    }
  }
} finally {
  await env.close();
}

const table = new Table({
  head: ['benchmark', 'measure', 'ours', 'raw', 'unit', 'ratio', 'goal', 'met'],
  style: { head: [], border: [] },
});
for (const row of rows) {
  table.push([
    row.benchmark,
    row.measure,
    fmt(row.ours),
    row.raw === undefined ? '' : fmt(row.raw),
    row.unit,
    row.ratio === undefined ? '' : `${row.ratio}×`,
    row.goal ?? '',
    row.met === undefined ? '' : row.met ? 'yes' : 'NO',
  ]);
}
const seconds = (Date.now() - started) / 1000;
console.log(
  `${quick ? 'QUICK mode (small sizes: not comparable with full runs)' : 'full mode'} · ${cpus().length} cores · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · ${seconds.toFixed(0)} s`,
);
console.log(table.toString());
for (const row of rows.filter((r) => r.note)) console.log(`  ${row.benchmark}: ${row.note}`);
const missed = rows.filter((r) => r.met === false);
if (missed.length > 0) console.log(`goals missed (reported, not fatal): ${missed.map((r) => r.benchmark).join(', ')}`);
for (const failure of failures) console.log(`ERROR ${failure.benchmark}: ${failure.error}`);

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
// A partial run (`npm run bench -- scale`) never overwrites the day's full results.
const file = `${resultsDir}${new Date().toISOString().slice(0, 10)}${names.length > 0 ? `-${names.join('+')}` : ''}${quick ? '-quick' : ''}.json`;
writeFileSync(
  file,
  `${JSON.stringify({ date: new Date().toISOString(), mode: quick ? 'quick' : 'full', seconds: Math.round(seconds), machine: { cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version }, rows, failures }, null, 2)}\n`,
);
console.log(`results: ${file}`);
process.exit(failures.length > 0 ? 1 : 0);

function fmt(value: number): string {
  return value.toLocaleString('en', { maximumFractionDigits: 2 });
}
