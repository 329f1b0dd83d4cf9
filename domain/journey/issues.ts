/**
 * What every journey check reports: an issue at a JSON path (`$.steps.remind1.next`, `$.goals[0].event`,
 * `$.steps["odd id"]`), collected as path segments and sorted by path at the end.
 */

export interface ValidationIssue {
  /** JSON path, e.g. `$.steps.remind1.next`, `$.goals[0].event`, `$["odd key"]`. */
  path: string;
  message: string;
}

/** When a set is given, references outside it are errors; when it is absent, references are not checked. */
export interface ValidationContext {
  knownEvents?: ReadonlySet<string>;
  knownTemplates?: ReadonlySet<string>;
  knownSegments?: ReadonlySet<string>;
}

export type Seg = string | number;

export interface RawIssue {
  segs: Seg[];
  message: string;
}

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["steps", "remind 1", "arms", 0]` → `$.steps["remind 1"].arms[0]`. */
export function formatJsonPath(segs: readonly Seg[]): string {
  let out = '$';
  for (const s of segs) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (identifier.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function compareSegs(a: readonly Seg[], b: readonly Seg[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] as Seg;
    const y = b[i] as Seg;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

export function sortIssues(raw: RawIssue[]): ValidationIssue[] {
  const sorted = [...raw].sort(
    (a, b) => compareSegs(a.segs, b.segs) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
  return sorted.map((i) => ({ path: formatJsonPath(i.segs), message: i.message }));
}

/** Reads own properties only (the input is untrusted). */
export function lookup(root: unknown, segs: readonly Seg[]): unknown {
  let current = root;
  for (const s of segs) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, s)) return undefined;
    current = (current as Record<string, unknown>)[s];
  }
  return current;
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
}
