/** Human output: tables (cli-table3) and short value formats. `--json` bypasses all of this. */
import Table from 'cli-table3';

export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] }, wordWrap: true });
  for (const row of rows) t.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  return t.toString();
}

/** Key–value pairs as a two-column table. */
export function pairs(rows: [string, string | number | null | undefined][]): string {
  const t = new Table({ style: { head: [], border: [] } });
  for (const [key, value] of rows) t.push({ [key]: value === null || value === undefined ? '' : String(value) });
  return t.toString();
}

/** `2026-03-02T10:15:00.000Z` → `2026-03-02 10:15:00Z`. */
export function time(value: string | null | undefined): string {
  if (!value) return '';
  return value.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function percent(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined ? '–' : `${(value * 100).toFixed(digits)}%`;
}

/** A difference of proportions in percentage points, signed. */
export function points(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  const pp = value * 100;
  return `${pp >= 0 ? '+' : ''}${pp.toFixed(1)} pp`;
}

export function money(cents: number): string {
  return (cents / 100).toFixed(2);
}
