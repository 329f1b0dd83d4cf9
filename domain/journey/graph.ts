/**
 * The step graph: references to steps that do not exist, steps no path from the start reaches, and loops
 * that pass no time. Linear in the number of steps and references (a queue with a read index, not
 * `shift()`; each loop's position on the DFS stack from a map; long loops shortened in messages).
 */
import type { JourneyDefinition, Step } from './definition';
import type { RawIssue, Seg } from './issues';

export interface StepReference {
  /** Path of the reference inside the step, e.g. `["branches", 0, "next"]`. */
  path: Seg[];
  target: string;
}

/** Every step id a step may continue to, in the order the step lists them. */
export function stepReferences(step: Step): StepReference[] {
  switch (step.type) {
    case 'wait':
      return [
        { path: ['next'], target: step.next },
        ...(step.onUnknown === undefined ? [] : [{ path: ['onUnknown'], target: step.onUnknown }]),
        ...(step.onNewCycle === undefined ? [] : [{ path: ['onNewCycle'], target: step.onNewCycle }]),
      ];
    case 'send':
    case 'update':
    case 'webhook':
      return [{ path: ['next'], target: step.next }];
    case 'waitForEvent':
      return [
        ...step.outcomes.map((o, i) => ({ path: ['outcomes', i, 'next'], target: o.next })),
        { path: ['onTimeout'], target: step.onTimeout },
      ];
    case 'branch':
      return [
        ...step.branches.map((b, i) => ({ path: ['branches', i, 'next'], target: b.next })),
        { path: ['else'], target: step.else },
      ];
    case 'split':
      return step.arms.map((a, i) => ({ path: ['arms', i, 'next'], target: a.next }));
    case 'exit':
      return [];
  }
}

/**
 * A step that certainly lets time pass before continuing: a `duration` or `yearly` wait or a `waitForEvent` (positive
 * timeout). `until`, `window` and `depletion` waits return at once when the date has passed / the window is open, so they do not count.
 */
function passesTime(step: Step): boolean {
  // A yearly wait always ends strictly after it started; a depletion wait ends at once when the date has passed.
  return (
    step.type === 'waitForEvent' || (step.type === 'wait' && (step.duration !== undefined || step.yearly !== undefined))
  );
}

function hasOwnStep(steps: Record<string, Step>, id: string): boolean {
  return Object.hasOwn(steps, id);
}

export function checkGraph(def: JourneyDefinition, out: RawIssue[]): void {
  const { steps } = def;
  const ids = Object.keys(steps);
  const startExists = hasOwnStep(steps, def.start);
  if (!startExists) out.push({ segs: ['start'], message: `start "${def.start}" is not a step` });

  const refs = new Map<string, StepReference[]>();
  for (const id of ids) {
    const step = steps[id] as Step;
    const valid: StepReference[] = [];
    for (const ref of stepReferences(step)) {
      if (hasOwnStep(steps, ref.target)) valid.push(ref);
      else out.push({ segs: ['steps', id, ...ref.path], message: `references unknown step "${ref.target}"` });
    }
    refs.set(id, valid);
  }

  if (startExists) {
    const reached = new Set<string>([def.start]);
    const queue = [def.start];
    for (let read = 0; read < queue.length; read++) {
      for (const ref of refs.get(queue[read] as string) ?? []) {
        if (reached.has(ref.target)) continue;
        reached.add(ref.target);
        queue.push(ref.target);
      }
    }
    for (const id of ids) {
      if (!reached.has(id))
        out.push({ segs: ['steps', id], message: `unreachable: no path from start "${def.start}" leads here` });
    }
  }

  // Loops that pass no time: cycles among steps that do not pass time. Iterative DFS over that subgraph; every
  // back edge closes such a loop and is reported at the reference that closes it. Where each step sits on the
  // stack, and which frames are waits, are kept on the side so that reporting a loop does not walk the stack.
  const state = new Map<string, 'active' | 'done'>();
  const roots = startExists ? [def.start, ...ids.filter((i) => i !== def.start)] : ids;
  for (const root of roots) {
    if (state.has(root) || passesTime(steps[root] as Step)) continue;
    const stack: { id: string; next: number }[] = [];
    const depth = new Map<string, number>();
    const waitDepths: number[] = [];
    const push = (id: string) => {
      state.set(id, 'active');
      depth.set(id, stack.length);
      if ((steps[id] as Step).type === 'wait') waitDepths.push(stack.length);
      stack.push({ id, next: 0 });
    };
    push(root);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { id: string; next: number };
      const outgoing = refs.get(frame.id) ?? [];
      const ref = outgoing[frame.next];
      if (ref === undefined) {
        state.set(frame.id, 'done');
        depth.delete(frame.id);
        if (waitDepths.at(-1) === stack.length - 1) waitDepths.pop();
        stack.pop();
        continue;
      }
      frame.next++;
      if (passesTime(steps[ref.target] as Step)) continue;
      const seen = state.get(ref.target);
      if (seen === 'active') {
        const from = depth.get(ref.target) as number;
        const untimedWait = firstAtOrAbove(waitDepths, from);
        const hint =
          untimedWait !== undefined
            ? `; its until/window wait ("${(stack[untimedWait] as { id: string }).id}") returns at once when the date has passed or the window is open`
            : '';
        out.push({
          segs: ['steps', frame.id, ...ref.path],
          message: `loop without a wait: ${describeLoop(stack, from, ref.target)} repeats with no time passing${hint}; add a duration wait or a waitForEvent to the loop`,
        });
      } else if (seen === undefined) push(ref.target);
    }
  }
}

/** The smallest value of the ascending `sorted` that is at least `min` (binary search). */
function firstAtOrAbove(sorted: readonly number[], min: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < min) lo = mid + 1;
    else hi = mid;
  }
  return sorted[lo];
}

/** `"a" → "b" → "a"`; a long loop shows its first and last steps, so messages stay short. */
function describeLoop(stack: readonly { id: string }[], from: number, closing: string): string {
  const length = stack.length - from;
  const shown = (frames: readonly { id: string }[]) => frames.map((f) => `"${f.id}"`);
  const names =
    length <= 8
      ? shown(stack.slice(from))
      : [...shown(stack.slice(from, from + 4)), `… ${length - 7} more …`, ...shown(stack.slice(stack.length - 3))];
  return [...names, `"${closing}"`].join(' → ');
}
