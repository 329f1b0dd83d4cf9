/**
 * Simulation (POST /v1/journeys/:id/simulate): a journey's draft or a version for one made-up
 * customer (a synthetic profile, editable as JSON) with scripted events, on a time-skipping server.
 * Shows the dated list of steps, messages, events and updates; nothing is delivered.
 */
import { useState, type FormEvent } from 'react';
import {
  ApiError,
  describeError,
  journeysApi,
  simulationApi,
  type ScriptedEvent,
  type SimulationProfile,
  type SimulationResult,
} from '../api';
import { formatTime, href, PageTitle, Show, useLoad } from '../lib';

/** Synthetic profiles to start from; the JSON stays editable. */
export const sampleProfiles: { name: string; profile: SimulationProfile }[] = [
  {
    name: 'New prospect (interest)',
    profile: { traits: { firstName: 'Ada' }, tags: [], aiplStage: 'interest', timeZone: 'Asia/Shanghai', locale: 'en' },
  },
  {
    name: 'Phone owner (purchase)',
    profile: {
      traits: { firstName: 'Lin' },
      tags: ['vip'],
      aiplStage: 'purchase',
      timeZone: 'Asia/Shanghai',
      locale: 'zh-CN',
      ownedProducts: [{ sku: 'MX7', category: 'phone' }],
    },
  },
  {
    name: 'Loyal customer',
    profile: {
      traits: { firstName: 'Grace' },
      tags: ['loyal'],
      aiplStage: 'loyalty',
      timeZone: 'Europe/Berlin',
      locale: 'de',
    },
  },
];

const sampleEvents: ScriptedEvent[] = [{ after: { days: 1 }, name: 'Order Completed', properties: {} }];

export function SimulationPage() {
  const [journeys] = useLoad(() => journeysApi.list(), []);
  const [journeyId, setJourneyId] = useState('');
  const [version, setVersion] = useState('draft');
  const [profileIndex, setProfileIndex] = useState(0);
  const [profile, setProfile] = useState(() => JSON.stringify(sampleProfiles[0]!.profile, null, 2));
  const [events, setEvents] = useState(() => JSON.stringify(sampleEvents, null, 2));
  const [horizonDays, setHorizonDays] = useState(30);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: true; data: SimulationResult } | { ok: false; text: string } | null>(null);
  const run = async (event: FormEvent) => {
    event.preventDefault();
    let parsedProfile: SimulationProfile;
    let parsedEvents: ScriptedEvent[];
    try {
      parsedProfile = JSON.parse(profile) as SimulationProfile;
      parsedEvents = JSON.parse(events) as ScriptedEvent[];
    } catch (error) {
      setResult({ ok: false, text: `Not JSON: ${describeError(error)}` });
      return;
    }
    setBusy(true);
    setResult(null);
    try {
      const data = await simulationApi.simulate(journeyId, {
        version: version === 'draft' ? 'draft' : Number(version),
        profile: parsedProfile,
        events: parsedEvents,
        horizonDays,
      });
      setResult({ ok: true, data });
    } catch (error) {
      const issues =
        error instanceof ApiError && error.issues.length
          ? `: ${error.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
          : '';
      setResult({ ok: false, text: `Simulation failed: ${describeError(error)}${issues}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PageTitle title="Simulation">Simulation</PageTitle>
      <p>
        Run a journey for one synthetic customer on a time-skipping server: what would happen, and when. Nothing is
        sent.
      </p>
      <Show loaded={journeys} what="journeys">
        {(list) => {
          const chosen = list.find((j) => j.id === journeyId);
          return (
            <form className="stacked" onSubmit={(e) => void run(e)}>
              <div className="field">
                <label htmlFor="sim-journey">Journey</label>
                <select id="sim-journey" value={journeyId} onChange={(e) => setJourneyId(e.target.value)} required>
                  <option value="">choose…</option>
                  {list.map((j) => (
                    <option key={j.id} value={j.id}>
                      {j.name} ({j.id})
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="sim-version">Version</label>
                <select id="sim-version" value={version} onChange={(e) => setVersion(e.target.value)}>
                  <option value="draft">draft</option>
                  {chosen?.latestVersion
                    ? Array.from({ length: chosen.latestVersion }, (_, i) => i + 1).map((v) => (
                        <option key={v} value={String(v)}>
                          v{v}
                        </option>
                      ))
                    : null}
                </select>
              </div>
              <div className="field">
                <label htmlFor="sim-profile-pick">Synthetic profile</label>
                <select
                  id="sim-profile-pick"
                  value={profileIndex}
                  onChange={(e) => {
                    const i = Number(e.target.value);
                    setProfileIndex(i);
                    setProfile(JSON.stringify(sampleProfiles[i]!.profile, null, 2));
                  }}
                >
                  {sampleProfiles.map((p, i) => (
                    <option key={p.name} value={i}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="sim-profile">Profile (JSON)</label>
                <textarea
                  id="sim-profile"
                  rows={8}
                  value={profile}
                  onChange={(e) => setProfile(e.target.value)}
                  spellCheck={false}
                />
              </div>
              <div className="field">
                <label htmlFor="sim-events">Scripted events (JSON)</label>
                <textarea
                  id="sim-events"
                  rows={6}
                  value={events}
                  onChange={(e) => setEvents(e.target.value)}
                  spellCheck={false}
                />
                <span className="muted small">
                  A list of {'{ "after": { "days": 1 }, "name": "Order Completed", "properties": {} }'}, after entry.
                </span>
              </div>
              <div className="field">
                <label htmlFor="sim-horizon">Horizon (days)</label>
                <input
                  id="sim-horizon"
                  type="number"
                  min={1}
                  max={800}
                  value={horizonDays}
                  onChange={(e) => setHorizonDays(Number(e.target.value))}
                />
              </div>
              <div className="toolbar">
                <button type="submit" className="primary" disabled={busy}>
                  {busy ? 'Simulating…' : 'Simulate'}
                </button>
              </div>
            </form>
          );
        }}
      </Show>
      <div aria-live="polite">
        {result === null ? null : result.ok ? (
          <SimulationView result={result.data} />
        ) : (
          <p className="error">{result.text}</p>
        )}
      </div>
    </>
  );
}

type Line = { at: string; kind: string; text: string };

export function SimulationView({ result }: { result: SimulationResult }) {
  const lines: Line[] = [
    ...result.steps.map((s) => ({ at: s.at, kind: 'step', text: `${s.step}${s.outcome ? ` → ${s.outcome}` : ''}` })),
    ...result.messages.map((m) => ({
      at: m.at,
      kind: 'message',
      text: `${m.channel} ${m.template} ${m.status}${m.reason ? ` (${m.reason})` : ''}${m.until ? ` until ${formatTime(m.until)}` : ''}${m.subject ? ` — “${m.subject}”` : ''}`,
    })),
    ...result.events.map((e) => ({
      at: e.at,
      kind: 'event',
      text: `${e.name}${e.delivered ? '' : ' (not delivered: the journey had ended)'}`,
    })),
    ...result.updates.map((u) => ({ at: u.at, kind: 'update', text: JSON.stringify({ ...u, at: undefined }) })),
    ...result.webhooks.map((w) => ({ at: w.at, kind: 'webhook', text: w.url })),
  ].sort((a, b) => a.at.localeCompare(b.at));
  return (
    <section aria-labelledby="sim-result-heading" data-testid="simulation-result">
      <h2 id="sim-result-heading">Result</h2>
      <dl className="facts">
        <dt>Journey</dt>
        <dd>
          <a href={href(`/journeys/${result.journeyId}`)}>{result.journeyId}</a>{' '}
          {result.journeyVersion === 0 ? 'draft' : `v${result.journeyVersion}`}
        </dd>
        <dt>Outcome</dt>
        <dd data-testid="simulation-outcome">
          {result.outcome.status}
          {result.outcome.reason && result.outcome.reason !== result.outcome.status
            ? ` (${result.outcome.reason})`
            : ''}
        </dd>
        <dt>Simulated time</dt>
        <dd>
          {formatTime(result.startedAt)} – {formatTime(result.endedAt)}
        </dd>
        <dt>Took</dt>
        <dd>{(result.wallMs / 1000).toFixed(1)} s</dd>
      </dl>
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">What</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l, i) => (
            <tr key={i} data-kind={l.kind}>
              <td>{formatTime(l.at)}</td>
              <td>{l.kind}</td>
              <td>{l.text}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
