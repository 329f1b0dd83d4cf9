/** A customer's timeline as ops read it: events, messages, journey entries and exits, each in one line. */
export interface TimelineItem {
  kind: 'event' | 'message' | 'entered' | 'exited';
  /** Unique across kinds: `e:` event, `m:` message, `n:` entry, `x:` exit, then the row id. */
  id: string;
  at: string;
  journeyId: string | null;
  enrollmentId: string | null;
  text: string;
  details: Record<string, unknown>;
}

export function describeItem(kind: TimelineItem['kind'], journeyId: string | null, d: Record<string, unknown>): string {
  const s = (v: unknown) => String(v ?? '');
  switch (kind) {
    case 'event':
      return `event ${s(d.name)}`;
    case 'message':
      return `${s(d.channel)} ${s(d.template)} ${s(d.status)}${d.reason ? ` (${s(d.reason)})` : ''} — ${s(journeyId)}/${s(d.step)}`;
    case 'entered':
      return `entered ${s(journeyId)} v${s(d.version)}`;
    case 'exited':
      return `left ${s(journeyId)} v${s(d.version)}: ${s(d.status)}${d.reason ? ` (${s(d.reason)})` : ''}`;
  }
}
