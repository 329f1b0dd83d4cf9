/**
 * `npm run bench [-- --quick] [-- <name>]`: each measure runs our code and the raw library doing the
 * same work in the same run, and reports the ratio (machines are noisy; ratios are comparable).
 * Only the template-render measure exists so far; the benchmarks issue adds the rest.
 */
import Handlebars from 'handlebars';
import { createRenderer } from '../activities/render';

const quick = process.argv.includes('--quick');
const only = process.argv.slice(2).find((a) => !a.startsWith('--'));

function opsPerSecond(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(); // warm-up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return iterations / ((performance.now() - started) / 1000);
}

const measures: Record<string, () => { ours: number; raw: number; goal: number }> = {
  'template-render': () => {
    const source = 'Hi {{customer.firstName}}, your {{event.sku}} filter has {{event.daysLeft}} days left.';
    const context = { customer: { firstName: 'Lin' }, event: { sku: 'PF-200', daysLeft: 12 } };
    const renderer = createRenderer();
    const raw = Handlebars.create().compile(source, { strict: true });
    const n = quick ? 20_000 : 500_000;
    return { ours: opsPerSecond(() => renderer.render(source, context), n), raw: opsPerSecond(() => raw(context), n), goal: 0.9 };
  },
};

const rows = Object.entries(measures)
  .filter(([name]) => !only || name === only)
  .map(([name, measure]) => {
    const { ours, raw, goal } = measure();
    return { name, 'ours (ops/s)': Math.round(ours), 'raw (ops/s)': Math.round(raw), ratio: Number((ours / raw).toFixed(2)), goal: `≥ ${goal}` };
  });
console.table(rows);
