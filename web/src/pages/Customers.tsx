/**
 * Customers: find one by identity (GET /v1/customers?identity=kind:value), the profile
 * (GET /v1/customers/:id: tags, AIPL stage and history, identities, owned products), enrollments
 * and the timeline across journeys (GET /v1/customers/:id/timeline, paged by cursor).
 */
import { useState, type FormEvent } from 'react';
import {
  customersApi,
  describeError,
  enrollmentsApi,
  type Customer,
  type CustomerTimelineItem,
  type PredictedDepletion,
} from '../api';
import { formatTime, href, navigate, PageTitle, Show, useLoad } from '../lib';
import { EnrollmentsTable } from './Enrollments';
import { Timeline } from '../Timeline';

// drizzle/schema.ts identityKinds.
const identityKinds = ['email', 'phone', 'marketplace', 'wechat_openid', 'app_user', 'device_serial', 'anonymous'];

export function CustomersPage() {
  const [kind, setKind] = useState('email');
  const [value, setValue] = useState('');
  const [result, setResult] = useState<
    { state: 'idle' } | { state: 'busy' } | { state: 'none' } | { state: 'error'; error: unknown }
  >({ state: 'idle' });
  const search = async (event: FormEvent) => {
    event.preventDefault();
    if (value.trim() === '') return;
    setResult({ state: 'busy' });
    try {
      const customer = await customersApi.findByIdentity(kind, value.trim());
      if (customer) navigate(`/customers/${customer.id}`);
      else setResult({ state: 'none' });
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
        <input
          id="identity-value"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="ada@example.com"
        />
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <div aria-live="polite">
        {result.state === 'busy' ? <p className="muted">Searching…</p> : null}
        {result.state === 'none' ? <p>No customer has that identity.</p> : null}
        {result.state === 'error' ? <p className="error">Search failed: {describeError(result.error)}</p> : null}
      </div>
      <p className="muted small">
        A customer id (from an enrollment) opens the profile directly: enrollments link to it.
      </p>
    </>
  );
}

function displayName(c: Customer): string {
  const name = c.traits.name ?? c.traits.firstName ?? c.traits.email;
  return typeof name === 'string' ? name : c.id.slice(0, 8);
}

export function CustomerPage({ id }: { id: string }) {
  const [profile] = useLoad(() => customersApi.get(id), [id]);
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
          {(c) => <Profile customer={c} />}
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
        <CustomerTimeline id={id} />
      </section>
    </>
  );
}

function Profile({ customer: c }: { customer: Customer }) {
  return (
    <>
      <dl className="facts" data-testid="profile">
        <dt>Name</dt>
        <dd>{displayName(c)}</dd>
        <dt>Id</dt>
        <dd>
          <code>{c.id}</code>
        </dd>
        <dt>AIPL stage</dt>
        <dd data-testid="aipl-stage">{c.aiplStage ?? '—'}</dd>
        <dt>Tags</dt>
        <dd data-testid="tags">
          {c.tags.length
            ? c.tags.map((t) => (
                <span key={t} className="badge">
                  {t}
                </span>
              ))
            : '—'}
        </dd>
        <dt>Identities</dt>
        <dd>{c.identities.map((i) => `${i.kind}: ${i.value}`).join(', ') || '—'}</dd>
        <dt>Time zone / locale</dt>
        <dd>
          {c.timeZone ?? '—'} / {c.locale ?? '—'}
        </dd>
        <dt>Traits</dt>
        <dd>
          <pre>{JSON.stringify(c.traits, null, 2)}</pre>
        </dd>
      </dl>
      {c.aiplHistory.length ? (
        <>
          <h3>AIPL history</h3>
          <ol>
            {c.aiplHistory.map((h, i) => (
              <li key={i}>
                {formatTime(h.at)}: {h.from ?? '—'} → {h.to} <span className="muted small">({h.source})</span>
              </li>
            ))}
          </ol>
        </>
      ) : null}
      <h3>Devices and owned products</h3>
      {c.ownedProducts.length === 0 ? (
        <p className="muted">None recorded.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">Category</th>
              <th scope="col">Serial</th>
              <th scope="col">Purchased</th>
              <th scope="col">Warranty ends</th>
              <th scope="col">Latest telemetry</th>
              <th scope="col">Consumable runs out</th>
            </tr>
          </thead>
          <tbody>
            {c.ownedProducts.map((p) => (
              <tr key={p.id} data-device={p.serial ?? p.id}>
                <td>
                  {p.name ?? p.sku} <span className="muted small">{p.sku}</span>
                  {p.disposedAt ? <span className="muted small"> (disposed)</span> : null}
                </td>
                <td>{p.category}</td>
                <td>{p.serial ?? '—'}</td>
                <td>{formatTime(p.purchasedAt)}</td>
                <td>{formatTime(p.warrantyEndsAt)}</td>
                <td>
                  {Object.entries(p.latestTelemetry)
                    .map(([metric, r]) => `${metric} ${r.value}`)
                    .join(', ') || '—'}
                </td>
                <td data-testid="depletion">
                  {p.predictedDepletion ? <Depletion d={p.predictedDepletion} /> : <span className="muted">—</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const basisText: Record<PredictedDepletion['basis'], string> = {
  telemetry: 'usage telemetry',
  'rated-life': 'rated life',
  'rated-life-cap': 'rated life (before usage runs it out)',
  unknown: 'not enough data',
};

function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

function daysText(days: number): string {
  if (days < 0) return `${-days} day${days === -1 ? '' : 's'} overdue`;
  if (days === 0) return 'today';
  return `${days} day${days === 1 ? '' : 's'} left`;
}

/** A device's predicted consumable depletion: date, days left, confidence and what decided it. */
function Depletion({ d }: { d: PredictedDepletion }) {
  return (
    <div className="depletion">
      <div>
        {d.consumable.name} <span className="muted small">{d.consumable.sku}</span>
      </div>
      {d.depletesAt === null || d.daysLeft === null ? (
        <div className="muted">No prediction ({basisText[d.basis]})</div>
      ) : (
        <div>
          <strong data-field="date">
            <time dateTime={d.depletesAt}>{formatDate(d.depletesAt)}</time>
          </strong>{' '}
          <span data-field="days-left" className={d.daysLeft < 14 ? 'error' : undefined}>
            ({daysText(d.daysLeft)})
          </span>
        </div>
      )}
      <div className="muted small">
        <span data-field="confidence">confidence {Math.round(d.confidence * 100)}%</span> ·{' '}
        <span data-field="basis">from {basisText[d.basis]}</span>
        {d.usagePerDay !== null && d.consumable.usageMetric
          ? ` · ${d.usagePerDay.toFixed(1)} ${d.consumable.usageMetric}/day`
          : ''}
        {` · since ${formatDate(d.cycleStartedAt)}`}
      </div>
    </div>
  );
}

function CustomerTimeline({ id }: { id: string }) {
  const [pages, setPages] = useState<{ items: CustomerTimelineItem[]; nextCursor: string | null }[]>([]);
  const [more, setMore] = useState<string | null>(null);
  const [first] = useLoad(() => customersApi.timeline(id), [id]);
  const loadMore = async (cursor: string) => {
    setMore(null);
    try {
      const page = await customersApi.timeline(id, cursor);
      setPages((p) => [...p, page]);
    } catch (error) {
      setMore(describeError(error));
    }
  };
  return (
    <Show loaded={first} what="the customer timeline">
      {(page) => {
        const all = [page, ...pages];
        const items = all.flatMap((p) => p.items);
        const next = all.at(-1)!.nextCursor;
        return (
          <>
            <Timeline items={items} />
            {next ? (
              <button type="button" onClick={() => void loadMore(next)}>
                Older
              </button>
            ) : null}
            {more ? <p className="error">{more}</p> : null}
          </>
        );
      }}
    </Show>
  );
}
