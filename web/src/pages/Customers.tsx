/**
 * Customers: find by identity, a profile, its timeline and enrollments. Search, profile and timeline
 * call the customer-profile and ops APIs (GET /v1/customers?identity=…, /v1/customers/:id,
 * /v1/customers/:id/timeline) and say so when those are not deployed; enrollments work today.
 */
import { useState, type FormEvent } from 'react';
import { customersApi, describeError, enrollmentsApi, NotAvailableError, type Customer, type TimelineItem } from '../api';
import { formatTime, href, NotAvailable, PageTitle, Show, useLoad } from '../lib';
import { EnrollmentsTable } from './Enrollments';

// drizzle/schema.ts identityKinds.
const identityKinds = ['email', 'phone', 'marketplace', 'wechat_openid', 'app_user', 'device_serial', 'anonymous'];

export function CustomersPage() {
  const [kind, setKind] = useState('email');
  const [value, setValue] = useState('');
  const [result, setResult] = useState<{ state: 'idle' } | { state: 'busy' } | { state: 'ok'; customers: Customer[] } | { state: 'error'; error: unknown }>({ state: 'idle' });
  const search = async (event: FormEvent) => {
    event.preventDefault();
    if (value.trim() === '') return;
    setResult({ state: 'busy' });
    try {
      setResult({ state: 'ok', customers: await customersApi.findByIdentity(kind, value.trim()) });
    } catch (error) {
      setResult({ state: 'error', error });
    }
  };
  return (
    <>
      <PageTitle title="Customers">Customers</PageTitle>
      <form className="inline-form" onSubmit={(e) => void search(e)} role="search">
        <label htmlFor="identity-kind">Identity</label>
        <select id="identity-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
          {identityKinds.map((k) => (
            <option key={k}>{k}</option>
          ))}
        </select>
        <label htmlFor="identity-value" className="visually-hidden">
          Identity value
        </label>
        <input id="identity-value" value={value} onChange={(e) => setValue(e.target.value)} placeholder="ada@example.com" />
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <div aria-live="polite">
        {result.state === 'busy' ? <p className="muted">Searching…</p> : null}
        {result.state === 'error' ? (
          result.error instanceof NotAvailableError ? (
            <NotAvailable what="customer search" endpoint={result.error.endpoint} />
          ) : (
            <p className="error">Search failed: {describeError(result.error)}</p>
          )
        ) : null}
        {result.state === 'ok' ? (
          result.customers.length === 0 ? (
            <p>No customer has that identity.</p>
          ) : (
            <ul>
              {result.customers.map((c) => (
                <li key={c.id}>
                  <a href={href(`/customers/${c.id}`)}>{displayName(c)}</a> <span className="muted small">{c.id}</span>
                </li>
              ))}
            </ul>
          )
        ) : null}
      </div>
      <p className="muted small">A customer id (from an enrollment) opens the profile directly: enrollments link to it.</p>
    </>
  );
}

function displayName(c: Customer): string {
  const traits = c.traits ?? {};
  const name = traits.name ?? traits.firstName ?? traits.email;
  return typeof name === 'string' ? name : c.id;
}

export function CustomerPage({ id }: { id: string }) {
  const [profile] = useLoad(() => customersApi.get(id), [id]);
  const [timeline] = useLoad(() => customersApi.timeline(id), [id]);
  const [enrollments] = useLoad(() => enrollmentsApi.list({ customerId: id, limit: 100 }), [id]);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <a href={href('/customers')}>Customers</a> › {id.slice(0, 8)}
      </nav>
      <PageTitle title={`Customer ${id.slice(0, 8)}`}>Customer {id.slice(0, 8)}</PageTitle>
      <section aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <Show loaded={profile} what="the customer profile">
          {(c) => (
            <dl className="facts">
              <dt>Id</dt>
              <dd>
                <code>{c.id}</code>
              </dd>
              <dt>AIPL stage</dt>
              <dd>{typeof c.aiplStage === 'string' ? c.aiplStage : '—'}</dd>
              <dt>Time zone</dt>
              <dd>{typeof c.timeZone === 'string' ? c.timeZone : '—'}</dd>
              <dt>Tags</dt>
              <dd>{Array.isArray(c.tags) ? c.tags.join(', ') || '—' : '—'}</dd>
              <dt>Identities</dt>
              <dd>{Array.isArray(c.identities) ? c.identities.map((i) => `${i.kind}: ${i.value}`).join(', ') || '—' : '—'}</dd>
              <dt>Traits</dt>
              <dd>
                <pre>{JSON.stringify(c.traits ?? {}, null, 2)}</pre>
              </dd>
            </dl>
          )}
        </Show>
      </section>
      <section aria-labelledby="enrollments-heading">
        <h2 id="enrollments-heading">Enrollments</h2>
        <Show loaded={enrollments} what="enrollments">
          {(rows) => <EnrollmentsTable enrollments={rows} showJourney />}
        </Show>
      </section>
      <section aria-labelledby="timeline-heading">
        <h2 id="timeline-heading">Timeline</h2>
        <Show loaded={timeline} what="the customer timeline">
          {(items) => <Timeline items={items} />}
        </Show>
      </section>
    </>
  );
}

/** A list of timeline or history items of unknown shape: time, kind, and the rest as JSON. */
export function Timeline({ items }: { items: TimelineItem[] }) {
  if (items.length === 0) return <p className="muted">Nothing recorded.</p>;
  return (
    <ol className="timeline">
      {items.map((item, i) => {
        const { at, kind, type, ...rest } = item;
        return (
          <li key={i}>
            <span className="muted">{formatTime(typeof at === 'string' ? at : undefined)}</span> <strong>{String(kind ?? type ?? 'event')}</strong>{' '}
            <code className="small">{JSON.stringify(rest)}</code>
          </li>
        );
      })}
    </ol>
  );
}
