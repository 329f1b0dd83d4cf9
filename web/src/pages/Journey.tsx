/** One journey: its graph with per-step counts, lifecycle actions and version history. */
import { useState } from 'react';
import { analyticsApi, describeError, journeysApi, type Journey, type JourneyVersion } from '../api';
import { stepCounts } from '../graph';
import { JourneyGraph } from '../JourneyGraph';
import { formatTime, href, PageTitle, Show, StatusBadge, useLoad } from '../lib';

export function JourneyPage({ id }: { id: string }) {
  const [loaded, reload] = useLoad(async () => {
    const [{ journey, versions }, analytics] = await Promise.all([journeysApi.get(id), analyticsApi.journey(id)]);
    return { journey, versions, stats: analytics.versions };
  }, [id]);
  const [shown, setShown] = useState<number | 'draft' | null>(null);
  return (
    <Show loaded={loaded} what="the journey">
      {({ journey, versions, stats }) => {
        const selected = shown ?? journey.latestVersion ?? 'draft';
        const definition =
          selected === 'draft' ? journey.draft : versions.find((v) => v.version === selected)?.definition;
        const counts = stepCounts(stats, selected === 'draft' ? 'all' : selected);
        const entered = stats.reduce((sum, v) => sum + v.entered, 0);
        return (
          <>
            <div className="page-head">
              <PageTitle title={journey.name}>
                {journey.name} <StatusBadge status={journey.status} />
              </PageTitle>
              <div className="actions">
                <a className="button" href={href(`/journeys/${id}/edit`)}>
                  Edit draft
                </a>
                <a className="button" href={href(`/journeys/${id}/enrollments`)}>
                  Enrollments ({entered})
                </a>
              </div>
            </div>
            <Lifecycle journey={journey} onChange={reload} />
            <section aria-labelledby="graph-heading">
              <div className="section-head">
                <h2 id="graph-heading">{selected === 'draft' ? 'Draft' : `Version ${selected}`}</h2>
                <label>
                  Show{' '}
                  <select
                    value={String(selected)}
                    onChange={(e) => setShown(e.target.value === 'draft' ? 'draft' : Number(e.target.value))}
                  >
                    <option value="draft">draft</option>
                    {versions.map((v) => (
                      <option key={v.version} value={v.version}>
                        version {v.version}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              <p className="muted small">
                On each step: enrollments that reached it (entered), finished it (passed) and wait there now
                {selected === 'draft' ? ', over all versions' : ''}.
              </p>
              <JourneyGraph definition={definition} counts={counts} label={`Graph of ${journey.name}`} />
            </section>
            <Versions versions={versions} onShow={setShown} />
          </>
        );
      }}
    </Show>
  );
}

function Lifecycle({ journey, onChange }: { journey: Journey; onChange: () => void }) {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const run = async (label: string, action: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      await action();
      setMessage({ ok: true, text: `${label}: done` });
      onChange();
    } catch (error) {
      setMessage({ ok: false, text: `${label} failed: ${describeError(error)}` });
    } finally {
      setBusy(false);
    }
  };
  const archived = journey.status === 'archived';
  return (
    <div className="toolbar" role="group" aria-label="Journey lifecycle">
      <button
        type="button"
        className="primary"
        disabled={busy || archived}
        onClick={() => void run('Publish', () => journeysApi.publish(journey.id))}
      >
        Publish draft
      </button>
      {journey.status === 'paused' ? (
        <button
          type="button"
          disabled={busy}
          onClick={() => void run('Resume', () => journeysApi.action(journey.id, 'resume'))}
        >
          Resume
        </button>
      ) : (
        <button
          type="button"
          disabled={busy || journey.status !== 'published'}
          onClick={() => void run('Pause', () => journeysApi.action(journey.id, 'pause'))}
        >
          Pause
        </button>
      )}
      <button
        type="button"
        className="danger"
        disabled={busy || archived}
        onClick={() => {
          if (window.confirm(`Archive “${journey.name}”? It takes no new entries and cannot be edited.`))
            void run('Archive', () => journeysApi.action(journey.id, 'archive'));
        }}
      >
        Archive
      </button>
      <span role="status" className={message?.ok === false ? 'error' : 'muted'}>
        {message?.text ?? ''}
      </span>
    </div>
  );
}

function Versions({ versions, onShow }: { versions: JourneyVersion[]; onShow: (v: number) => void }) {
  return (
    <section aria-labelledby="versions-heading">
      <h2 id="versions-heading">Version history</h2>
      {versions.length === 0 ? (
        <p className="muted">Not published yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Published</th>
              <th scope="col">Name</th>
              <th scope="col">Steps</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const def = v.definition as { name?: string; steps?: Record<string, unknown> };
              return (
                <tr key={v.version}>
                  <td>{v.version}</td>
                  <td>{formatTime(v.publishedAt)}</td>
                  <td>{def.name ?? '—'}</td>
                  <td>{Object.keys(def.steps ?? {}).length}</td>
                  <td>
                    <button type="button" className="link" onClick={() => onShow(v.version)}>
                      Show graph of version {v.version}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
