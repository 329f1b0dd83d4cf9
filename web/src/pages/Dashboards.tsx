/**
 * Dashboards: the AIPL funnel (GET /v1/analytics/funnel), one journey's conversion and split uplift
 * (GET /v1/analytics/journeys/:id), category associations (GET /v1/categories/associations).
 * Tables only.
 */
import { useState } from 'react';
import { analyticsApi, journeysApi, type ArmStats, type VersionStats } from '../api';
import { formatTime, PageTitle, Show, useLoad } from '../lib';

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);
const stages = ['awareness', 'interest', 'purchase', 'loyalty'];

export function DashboardsPage() {
  return (
    <>
      <PageTitle title="Dashboards">Dashboards</PageTitle>
      <FunnelSection />
      <JourneySection />
      <AssociationsSection />
    </>
  );
}

function FunnelSection() {
  const [loaded] = useLoad(() => analyticsApi.funnel(), []);
  return (
    <section aria-labelledby="funnel-heading">
      <h2 id="funnel-heading">AIPL funnel</h2>
      <Show loaded={loaded} what="the AIPL funnel">
        {(funnel) => {
          const count = (stage: string | null) => funnel.stages.find((s) => s.stage === stage)?.customers ?? 0;
          const total = funnel.stages.reduce((sum, s) => sum + s.customers, 0);
          const moves = new Map<string, number>();
          for (const t of funnel.transitions)
            moves.set(`${t.from ?? '—'} → ${t.to}`, (moves.get(`${t.from ?? '—'} → ${t.to}`) ?? 0) + t.count);
          return (
            <>
              <table data-testid="funnel">
                <thead>
                  <tr>
                    <th scope="col">Stage</th>
                    <th scope="col">Customers</th>
                    <th scope="col">Share</th>
                  </tr>
                </thead>
                <tbody>
                  {[...stages, null].map((stage) => (
                    <tr key={stage ?? 'none'}>
                      <td>{stage ?? 'no stage'}</td>
                      <td>{count(stage)}</td>
                      <td>{total ? pct(count(stage) / total) : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <h3>
                Stage moves {formatTime(funnel.from)} – {formatTime(funnel.to)}
              </h3>
              {moves.size === 0 ? (
                <p className="muted">No stage moves in this period.</p>
              ) : (
                <ul>
                  {[...moves].map(([move, n]) => (
                    <li key={move}>
                      {move}: {n}
                    </li>
                  ))}
                </ul>
              )}
            </>
          );
        }}
      </Show>
    </section>
  );
}

function JourneySection() {
  const [journeys] = useLoad(() => journeysApi.list(), []);
  const [journeyId, setJourneyId] = useState('');
  return (
    <section aria-labelledby="journey-analytics-heading">
      <h2 id="journey-analytics-heading">Journey conversion and uplift</h2>
      <Show loaded={journeys} what="journeys">
        {(list) => (
          <div className="inline-form">
            <label htmlFor="dash-journey">Journey</label>
            <select id="dash-journey" value={journeyId} onChange={(e) => setJourneyId(e.target.value)}>
              <option value="">choose…</option>
              {list.map((j) => (
                <option key={j.id} value={j.id}>
                  {j.name} ({j.id})
                </option>
              ))}
            </select>
          </div>
        )}
      </Show>
      {journeyId ? <JourneyStats key={journeyId} id={journeyId} /> : null}
    </section>
  );
}

function JourneyStats({ id }: { id: string }) {
  const [loaded] = useLoad(() => analyticsApi.journey(id), [id]);
  return (
    <Show loaded={loaded} what="journey analytics">
      {({ versions }) =>
        versions.length === 0 ? (
          <p className="muted">Not published yet: no numbers.</p>
        ) : (
          <>
            <table data-testid="journey-analytics">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Entered</th>
                  <th scope="col">Active</th>
                  <th scope="col">Conversions</th>
                  <th scope="col">Conversion rate</th>
                  <th scope="col">Orders</th>
                  <th scope="col">Revenue</th>
                </tr>
              </thead>
              <tbody>
                {versions.map((v) => (
                  <tr key={v.version}>
                    <td>v{v.version}</td>
                    <td>{v.entered}</td>
                    <td>{v.active}</td>
                    <td>{v.conversions}</td>
                    <td>{pct(v.conversionRate)}</td>
                    <td>{v.revenue.orders}</td>
                    <td>{(v.revenue.cents / 100).toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {versions.map((v) => (
              <VersionDetail key={v.version} stats={v} />
            ))}
          </>
        )
      }
    </Show>
  );
}

function interval(a: ArmStats): string {
  const i = a.upliftInterval;
  if (!i) return '—';
  const [low, high] = Array.isArray(i) ? i : [i.low, i.high];
  return `${pct(low)} … ${pct(high)}`;
}

function VersionDetail({ stats: v }: { stats: VersionStats }) {
  return (
    <details>
      <summary>Version {v.version}: where people are, why they left, messages, splits</summary>
      <p>
        Active by step: {v.activeByStep.map((s) => `${s.step} ${s.count}`).join(', ') || '—'}. Exits:{' '}
        {v.exits.map((e) => `${e.status}${e.reason ? ` (${e.reason})` : ''} ${e.count}`).join(', ') || '—'}. Messages:{' '}
        {v.messages.map((m) => `${m.channel} ${m.status} ${m.count}`).join(', ') || '—'}.
      </p>
      {v.splits.map((s) => (
        <table key={s.step}>
          <caption>
            Split {s.step}
            {s.holdout ? `: holdout ${s.holdout.conversions}/${s.holdout.entered} (${pct(s.holdout.rate)})` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Arm</th>
              <th scope="col">Entered</th>
              <th scope="col">Conversions</th>
              <th scope="col">Rate</th>
              <th scope="col">Uplift vs holdout</th>
              <th scope="col">95 % interval</th>
              <th scope="col">Significant</th>
            </tr>
          </thead>
          <tbody>
            {s.arms.map((a) => (
              <tr key={a.arm}>
                <td>
                  {a.arm}
                  {a.holdout ? ' (holdout)' : ''}
                </td>
                <td>{a.entered}</td>
                <td>{a.conversions}</td>
                <td>{pct(a.rate)}</td>
                <td>{pct(a.uplift)}</td>
                <td>{interval(a)}</td>
                <td>{a.significant === null ? '—' : a.significant ? 'yes' : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </details>
  );
}

function AssociationsSection() {
  const [loaded] = useLoad(() => analyticsApi.associations(), []);
  return (
    <section aria-labelledby="associations-heading">
      <h2 id="associations-heading">Category associations</h2>
      <Show loaded={loaded} what="category associations">
        {({ rules, computedAt }) =>
          rules.length === 0 ? (
            <p className="muted">No association rules mined yet.</p>
          ) : (
            <table data-testid="associations">
              <caption>Computed {formatTime(computedAt)}</caption>
              <thead>
                <tr>
                  <th scope="col">Owns</th>
                  <th scope="col">Also buys</th>
                  <th scope="col">Customers</th>
                  <th scope="col">Support</th>
                  <th scope="col">Confidence</th>
                  <th scope="col">Lift</th>
                </tr>
              </thead>
              <tbody>
                {rules.map((r) => (
                  <tr key={`${r.fromCategory}-${r.toCategory}`}>
                    <td>{r.fromCategory}</td>
                    <td>{r.toCategory}</td>
                    <td>{r.count}</td>
                    <td>{pct(r.support)}</td>
                    <td>{pct(r.confidence)}</td>
                    <td>{r.lift.toFixed(2)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </section>
  );
}
