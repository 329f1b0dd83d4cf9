import type { CustomerTimelineItem, HistoryEntry } from './api';
import { formatTime, href } from './lib';

/** A customer timeline or an enrollment history: time, kind, the readable line. */
export function Timeline({ items }: { items: (CustomerTimelineItem | HistoryEntry)[] }) {
  if (items.length === 0) return <p className="muted">Nothing recorded.</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {items.map((item, i) => (
        <li key={i} data-kind={item.kind}>
          <span className="muted">{formatTime(item.at)}</span>{' '}
          {item.text.startsWith(item.kind) ? null : <strong>{item.kind} </strong>}
          {item.text}
          {'enrollmentId' in item && item.enrollmentId ? (
            <>
              {' '}
              <a href={href(`/enrollments/${item.enrollmentId}`)} className="small">
                enrollment
              </a>
            </>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
