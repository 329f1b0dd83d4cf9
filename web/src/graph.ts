/**
 * A journey definition as a graph: one node per step (plus the entry), one edge per `next`,
 * branch, split arm, event outcome and timeout. Reads the definition defensively so the editor can
 * draw a draft that does not validate yet (edges to missing steps are marked `dangling`).
 * Pure: no React, unit-tested in test/unit/console/graph.test.ts.
 */

export interface GraphNode {
  id: string;
  /** Step type, or `entry` for the entry node. */
  type: string;
  label: string;
  detail: string;
  x: number;
  y: number;
  unreachable: boolean;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
  dangling: boolean;
}

export interface JourneyGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** The id of the entry node; step ids cannot contain a colon, so it never collides. */
export const ENTRY_NODE = ':entry';
const COLUMN = 230;
const ROW = 110;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function duration(d: unknown): string {
  if (!isObj(d)) return '';
  return (['days', 'hours', 'minutes', 'seconds'] as const)
    .filter((k) => typeof d[k] === 'number')
    .map((k) => `${String(d[k])}${k[0]}`)
    .join(' ');
}

function describeStep(step: Obj): string {
  switch (step.type) {
    case 'wait':
      if (step.duration) return `wait ${duration(step.duration)}`;
      if (isObj(step.until)) return `until ${str(step.until.attribute) ?? '?'}`;
      if (isObj(step.window)) return `window ${str(step.window.start) ?? '?'}–${str(step.window.end) ?? '?'}`;
      if (isObj(step.depletion))
        return `until ${typeof step.depletion.daysBefore === 'number' ? step.depletion.daysBefore : '?'}d before depletion`;
      if (isObj(step.yearly))
        return `yearly ${String(step.yearly.month ?? '?')}/${String(step.yearly.day ?? '?')} ${str(step.yearly.at) ?? '09:00'}`;
      return 'wait';
    case 'waitForEvent':
      return `wait for ${str(step.event) ?? '?'} (≤ ${duration(step.timeout)})`;
    case 'send':
      return `${str(step.channel) ?? '?'}: ${str(step.template) ?? '?'}`;
    case 'branch':
      return `${arr(step.branches).length} branch(es) + else`;
    case 'split':
      return `${arr(step.arms).length} arms`;
    case 'update':
      return 'update profile';
    case 'webhook':
      return 'webhook';
    case 'exit':
      return `exit: ${str(step.reason) ?? 'completed'}`;
    default:
      return typeof step.type === 'string' ? step.type : 'unknown step';
  }
}

function describeEntry(entry: unknown): string {
  if (!isObj(entry)) return 'entry';
  switch (entry.type) {
    case 'event':
      return `on event ${str(entry.event) ?? '?'}`;
    case 'segment':
      return `on entering segment ${str(entry.segment) ?? '?'}`;
    case 'date':
      return `on date ${str(entry.attribute) ?? '?'}`;
    case 'api':
      return 'entered by API';
    default:
      return 'entry';
  }
}

/** Outgoing links of one step, labelled. */
export function stepLinks(step: Obj): { target: string; label?: string }[] {
  const links: { target: string; label?: string }[] = [];
  const push = (target: unknown, label?: string) => {
    if (typeof target === 'string' && target !== '') links.push(label === undefined ? { target } : { target, label });
  };
  switch (step.type) {
    case 'waitForEvent':
      for (const o of arr(step.outcomes)) if (isObj(o)) push(o.next, str(o.id));
      push(step.onTimeout, 'timeout');
      break;
    case 'branch':
      for (const b of arr(step.branches)) if (isObj(b)) push(b.next, str(b.id));
      push(step.else, 'else');
      break;
    case 'split':
      for (const a of arr(step.arms))
        if (isObj(a))
          push(
            a.next,
            `${str(a.id) ?? '?'}${typeof a.weight === 'number' ? ` (${a.weight})` : ''}${a.holdout === true ? ' holdout' : ''}`,
          );
      break;
    case 'wait':
      push(step.next);
      push(step.onNewCycle, 'new cycle');
      push(step.onUnknown, 'unknown');
      break;
    default:
      push(step.next);
  }
  return links;
}

export function journeyGraph(definition: unknown): JourneyGraph {
  const def = isObj(definition) ? definition : {};
  const steps = isObj(def.steps) ? def.steps : {};
  const ids = Object.keys(steps);
  const start = str(def.start);

  const edges: GraphEdge[] = [];
  const out = new Map<string, string[]>();
  const link = (source: string, target: string, label?: string) => {
    const dangling = !Object.hasOwn(steps, target);
    edges.push({
      id: `${source}->${target}#${edges.length}`,
      source,
      target,
      dangling,
      ...(label === undefined ? {} : { label }),
    });
    if (!dangling) out.set(source, [...(out.get(source) ?? []), target]);
  };
  if (start) link(ENTRY_NODE, start);
  for (const id of ids) {
    const step = steps[id];
    if (isObj(step)) for (const l of stepLinks(step)) link(id, l.target, l.label);
  }

  // Layers by breadth-first distance from the entry; unreachable steps go below the rest.
  const depth = new Map<string, number>([[ENTRY_NODE, 0]]);
  const queue = [ENTRY_NODE];
  while (queue.length > 0) {
    const current = queue.shift()!;
    for (const next of out.get(current) ?? []) {
      if (depth.has(next)) continue;
      depth.set(next, depth.get(current)! + 1);
      queue.push(next);
    }
  }
  const deepest = Math.max(0, ...depth.values());
  const layers = new Map<number, string[]>();
  for (const id of [ENTRY_NODE, ...ids]) {
    const d = depth.get(id) ?? deepest + 1;
    layers.set(d, [...(layers.get(d) ?? []), id]);
  }
  const nodes: GraphNode[] = [];
  for (const [d, members] of layers) {
    members.forEach((id, i) => {
      const x = (i - (members.length - 1) / 2) * COLUMN;
      const y = d * ROW;
      const unreachable = !depth.has(id);
      if (id === ENTRY_NODE)
        nodes.push({ id, type: 'entry', label: 'entry', detail: describeEntry(def.entry), x, y, unreachable });
      else {
        const step = steps[id];
        const type = isObj(step) && typeof step.type === 'string' ? step.type : 'unknown';
        nodes.push({
          id,
          type,
          label: id,
          detail: isObj(step) ? describeStep(step) : 'not an object',
          x,
          y,
          unreachable,
        });
      }
    });
  }
  return { nodes, edges };
}

/** What a graph node shows: enrollments that reached the step, passed it, and wait there now. */
export interface StepCounts {
  entered: number;
  passed: number;
  active: number;
}

/**
 * Per-step counts for the graph from the analytics API (GET /v1/analytics/journeys/:id): one
 * version's, or summed over all versions (`'all'`, for the draft, whose steps may match several).
 * The entry node gets the enrollments of the chosen versions.
 */
export function stepCounts(
  versions: readonly {
    version: number;
    entered: number;
    active: number;
    steps: readonly ({ step: string } & StepCounts)[];
  }[],
  chosen: number | 'all',
): Map<string, StepCounts> {
  const counts = new Map<string, StepCounts>();
  const add = (id: string, c: StepCounts) => {
    const sum = counts.get(id) ?? { entered: 0, passed: 0, active: 0 };
    counts.set(id, { entered: sum.entered + c.entered, passed: sum.passed + c.passed, active: sum.active + c.active });
  };
  for (const v of versions) {
    if (chosen !== 'all' && v.version !== chosen) continue;
    add(ENTRY_NODE, { entered: v.entered, passed: v.entered, active: 0 });
    for (const s of v.steps) add(s.step, s);
  }
  return counts;
}
