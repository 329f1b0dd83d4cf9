/**
 * Enrollments of a journey (GET /v1/enrollments?journeyId=…) and one enrollment: its mirror row,
 * messages, history timeline (GET /v1/enrollments/:id/history) and cancel.
 */
import { useState, type FormEvent } from 'react';
import { describeError, enrollmentsApi, type Enrollment, type EnrollmentMessage, type EnrollmentStatus } from '../api';
import { formatTime, href, PageTitle, Show, StatusBadge, useLoad } from '../lib';
import { Timeline } from '../Timeline';

const statuses: EnrollmentStatus[] = ['active', 'completed', 'exited', 'converted', 'cancelled', 'failed'];

export function EnrollmentsTable({
  enrollments,
  showJourney = false,
}: {
  enrollments: Enrollment[];
  showJourney?: boolean;
}) {
  if (enrollments.length === 0) return <p className="muted">No enrollments.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Enrollment</th>
          {showJourney ? <th scope="col">Journey</th> : null}
          <th scope="col">Customer</th>
          <th scope="col">Status</th>
          <th scope="col">Step</th>
          <th scope="col">Next wake-up</th>
          <th scope="col">Entered</th>
        </tr>
      </thead>
      <tbody>
        {enrollments.map((e) => (
          <tr key={e.id} data-enrollment={e.id}>
            <td>
              <a href={href(`/enrollments/${e.id}`)}>{e.id.slice(0, 8)}</a>
              <span className="muted small"> v{e.journeyVersion}</span>
            </td>
            {showJourney ? (
              <td>
                <a href={href(`/journeys/${e.journeyId}`)}>{e.journeyId}</a>
              </td>
            ) : null}
            <td>
              <a href={href(`/customers/${e.customerId}`)}>{e.customerId.slice(0, 8)}</a>
            </td>
            <td>
              <StatusBadge status={e.status} />
              {e.exitReason ? <span className="muted small"> {e.exitReason}</span> : null}
            </td>
            <td>{e.currentStep ?? '—'}</td>
            <td>{formatTime(e.nextWakeAt)}</td>
            <td>{formatTime(e.enteredAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function JourneyEnrollmentsPage({ id }: { id: string }) {
  const [status, setStatus] = useState<EnrollmentStatus | ''>('');
  const [loaded] = useLoad(
    () => enrollmentsApi.list({ journeyId: id, limit: 200, ...(status ? { status } : {}) }),
    [id, status],
  );
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <a href={href('/journeys')}>Journeys</a> › <a href={href(`/journeys/${id}`)}>{id}</a> › Enrollments
      </nav>
      <div className="page-head">
        <PageTitle title={`Enrollments of ${id}`}>Enrollments of {id}</PageTitle>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value as EnrollmentStatus | '')}>
            <option value="">any</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      <Show loaded={loaded} what="enrollments">
        {(enrollments) => <EnrollmentsTable enrollments={enrollments} />}
      </Show>
    </>
  );
}

export function EnrollmentPage({ id }: { id: string }) {
  const [loaded, reload] = useLoad(() => enrollmentsApi.get(id), [id]);
  const [history, reloadHistory] = useLoad(() => enrollmentsApi.history(id), [id]);
  return (
    <Show loaded={loaded} what="the enrollment">
      {({ enrollment: e, live, messages, temporalUiUrl }) => (
        <>
          <nav aria-label="Breadcrumb" className="breadcrumb">
            <a href={href('/journeys')}>Journeys</a> › <a href={href(`/journeys/${e.journeyId}`)}>{e.journeyId}</a> ›{' '}
            <a href={href(`/journeys/${e.journeyId}/enrollments`)}>Enrollments</a> › {e.id.slice(0, 8)}
          </nav>
          <PageTitle title={`Enrollment ${e.id.slice(0, 8)}`}>
            Enrollment {e.id.slice(0, 8)} <StatusBadge status={e.status} />
          </PageTitle>
          <dl className="facts">
            <dt>Journey</dt>
            <dd>
              <a href={href(`/journeys/${e.journeyId}`)}>{e.journeyId}</a> version {e.journeyVersion}
            </dd>
            <dt>Customer</dt>
            <dd>
              <a href={href(`/customers/${e.customerId}`)}>{e.customerId}</a>
            </dd>
            <dt>Current step</dt>
            <dd>{e.currentStep ?? '—'}</dd>
            <dt>Next wake-up</dt>
            <dd>{formatTime(e.nextWakeAt)}</dd>
            <dt>Entered</dt>
            <dd>{formatTime(e.enteredAt)}</dd>
            <dt>Exited</dt>
            <dd>
              {formatTime(e.exitedAt)} {e.exitReason ?? ''}
            </dd>
            <dt>Workflow</dt>
            <dd>
              <code>{e.workflowId}</code>{' '}
              <a href={temporalUiUrl} target="_blank" rel="noreferrer">
                Open in Temporal UI
              </a>
            </dd>
          </dl>
          {e.status === 'active' ? (
            <CancelForm
              id={e.id}
              onCancelled={() => {
                reload();
                reloadHistory();
              }}
            />
          ) : null}
          <h2>Path</h2>
          {e.path.length === 0 ? (
            <p className="muted">No steps yet.</p>
          ) : (
            <ol className="path">
              {e.path.map((p, i) => (
                <li key={i}>
                  <code>{p.step}</code> at {formatTime(p.at)}
                  {p.outcome ? ` → ${p.outcome}` : ''}
                </li>
              ))}
            </ol>
          )}
          {live ? (
            <details>
              <summary>Live state (from the workflow)</summary>
              <pre>{JSON.stringify(live, null, 2)}</pre>
            </details>
          ) : null}
          <h2>Messages</h2>
          <MessagesTable messages={messages} />
          <h2>History</h2>
          <Show loaded={history} what="the enrollment history">
            {(items) => <Timeline items={items} />}
          </Show>
        </>
      )}
    </Show>
  );
}

function MessagesTable({ messages }: { messages: EnrollmentMessage[] }) {
  if (messages.length === 0) return <p className="muted">No messages.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Channel</th>
          <th scope="col">Template</th>
          <th scope="col">Status</th>
          <th scope="col">Created</th>
          <th scope="col">Sent</th>
        </tr>
      </thead>
      <tbody>
        {messages.map((m) => (
          <tr key={`${m.stepId}-${m.occurrence}`}>
            <td>
              {m.stepId} <span className="muted small">#{m.occurrence}</span>
            </td>
            <td>{m.channel}</td>
            <td>
              <a href={href(`/templates/${m.templateId}`)}>{m.templateId}</a>
            </td>
            <td>
              {m.status}
              {m.reason ? <span className="muted small"> {m.reason}</span> : null}
            </td>
            <td>{formatTime(m.createdAt)}</td>
            <td>{formatTime(m.sentAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CancelForm({ id, onCancelled }: { id: string; onCancelled: () => void }) {
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await enrollmentsApi.cancel(id, reason.trim());
      setMessage({ ok: true, text: 'Cancelling…' });
      // The workflow exits a moment later and the mirror row follows: wait for it (up to ~15 s).
      for (let i = 0; i < 30; i++) {
        await new Promise((resolve) => window.setTimeout(resolve, 500));
        if ((await enrollmentsApi.get(id)).enrollment.status !== 'active') break;
      }
      onCancelled();
    } catch (error) {
      setMessage({ ok: false, text: describeError(error) });
    }
  };
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)}>
      <label htmlFor="cancel-reason">Cancel with reason</label>
      <input id="cancel-reason" value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={200} />
      <button type="submit">Cancel enrollment</button>
      <span aria-live="polite">
        {message ? <span className={message.ok ? 'ok' : 'error'}>{message.text}</span> : null}
      </span>
    </form>
  );
}
