/** The journey list with each journey's headline numbers (GET /v1/analytics/journeys, one query for all). */
import { analyticsApi, journeysApi, type JourneySummary } from '../api';
import { formatTime, href, PageTitle, Show, StatusBadge, useLoad } from '../lib';

const SENT_DAYS = 7;

export function formatRate(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
}

export function JourneysPage() {
  const [loaded] = useLoad(async () => {
    const [journeys, summary] = await Promise.all([journeysApi.list(), analyticsApi.summaries(SENT_DAYS)]);
    return { journeys, metrics: new Map(summary.journeys.map((s) => [s.journeyId, s])) };
  }, []);
  return (
    <>
      <div className="page-head">
        <PageTitle title="Journeys">Journeys</PageTitle>
        <a className="button primary" href={href('/journeys/new')}>
          New journey
        </a>
      </div>
      <Show loaded={loaded} what="journeys">
        {({ journeys, metrics }) =>
          journeys.length === 0 ? (
            <p>No journeys yet. Start with “New journey”.</p>
          ) : (
            <table className="journey-list">
              <caption className="visually-hidden">Journeys, their status and headline numbers</caption>
              <thead>
                <tr>
                  <th scope="col">Journey</th>
                  <th scope="col">Status</th>
                  <th scope="col">Version</th>
                  <th scope="col" className="num">
                    Entered
                  </th>
                  <th scope="col" className="num">
                    Active
                  </th>
                  <th scope="col" className="num">
                    Converted
                  </th>
                  <th scope="col" className="num">
                    <abbr title={`Messages sent in the last ${SENT_DAYS} days`}>Sent ({SENT_DAYS} d)</abbr>
                  </th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {journeys.map((j) => (
                  <tr key={j.id} data-journey={j.id}>
                    <td>
                      <a href={href(`/journeys/${j.id}`)}>{j.name}</a>
                      <div className="muted small">{j.id}</div>
                    </td>
                    <td>
                      <StatusBadge status={j.status} />
                    </td>
                    <td>{j.latestVersion ?? '—'}</td>
                    <Metrics summary={metrics.get(j.id)} />
                    <td>{formatTime(j.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </>
  );
}

function Metrics({ summary: s }: { summary: JourneySummary | undefined }) {
  // A journey created after the summary was read has none yet.
  if (!s)
    return (
      <td colSpan={4} className="muted">
        —
      </td>
    );
  return (
    <>
      <td className="num" data-metric="entered">
        {s.entered}
      </td>
      <td className="num" data-metric="active">
        {s.active}
      </td>
      <td className="num" data-metric="converted">
        {s.converted} <span className="muted small">({formatRate(s.conversionRate)})</span>
      </td>
      <td className="num" data-metric="sent">
        {s.messagesSent}
      </td>
    </>
  );
}
