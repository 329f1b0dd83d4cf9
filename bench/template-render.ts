/** Template render: our renderer (isolated, strict, cached) vs a precompiled handlebars template. */
import Handlebars from 'handlebars';
import { createRenderer } from '../services/messaging/render';
import { ratioRow, round, type Benchmark } from './env';

function opsPerSecond(fn: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(1000, iterations); i++) fn(); // warm-up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return iterations / ((performance.now() - started) / 1000);
}

export const templateRender: Benchmark = {
  name: 'template-render',
  title: 'Template render: createRenderer().render vs a precompiled handlebars template, same data',
  async run(env) {
    const source = 'Hi {{customer.firstName}}, your {{event.sku}} filter has {{event.daysLeft}} days left.';
    const context = { customer: { firstName: 'Lin' }, event: { sku: 'PF-200', daysLeft: 12 } };
    const renderer = createRenderer();
    const raw = Handlebars.create().compile(source, { strict: true });
    const n = env.quick ? 100_000 : 500_000;
    // Interleaved rounds, best of each: a loaded machine (or a GC) must not pick the winner.
    let ours = 0;
    let rawOps = 0;
    for (let round = 0; round < 3; round++) {
      ours = Math.max(
        ours,
        opsPerSecond(() => renderer.render(source, context), n),
      );
      rawOps = Math.max(
        rawOps,
        opsPerSecond(() => raw(context), n),
      );
    }
    return [
      ratioRow({
        benchmark: 'template-render',
        measure: `${n.toLocaleString('en')} renders`,
        ours: round(ours),
        raw: round(rawOps),
        unit: 'renders/s',
        goal: 0.9,
      }),
    ];
  },
};
