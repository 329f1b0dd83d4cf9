/** Enrollments of a journey (GET /v1/enrollments?journeyId=…) and one enrollment with its history. */
import { useState } from 'react';
import { enrollmentsApi, type Enrollment, type EnrollmentStatus } from '../api';
import { formatTime, href, PageTitle, Show, StatusBadge, useLoad } from '../lib';
import { Timeline } from './Customers';

const statuses: EnrollmentStatus[] = ['active', 'completed', 'exited', 'converted', 'cancelled', 'failed'];

export function EnrollmentsTable({ enrollments, showJourney = false }: { enrollments: Enrollment[]; showJourney?: boolean }) {
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
  const [loaded] = useLoad(() => enrollmentsApi.list({ journeyId: id, limit: 200, ...(status ? { status } : {}) }), [id, status]);
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
  const [loaded] = useLoad(() => enrollmentsApi.get(id), [id]);
  const [history] = useLoad(() => enrollmentsApi.history(id), [id]);
  return (
    <Show loaded={loaded} what="the enrollment">
      {({ enrollment: e, live }) => (
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
              <code>{e.workflowId}</code>
            </dd>
          </dl>
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
          <h2>History</h2>
          <Show loaded={history} what="enrollment history">
            {(items) => <Timeline items={items} />}
          </Show>
        </>
      )}
    </Show>
  );
}
