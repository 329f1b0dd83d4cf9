import { analyticsApi, journeysApi, NotAvailableError, type JourneyMetrics } from '../api';
import { formatTime, href, PageTitle, Show, StatusBadge, useLoad } from '../lib';

/** Headline metrics when the analytics API answers; null when it does not exist (yet). */
async function loadMetrics(): Promise<Map<string, JourneyMetrics> | null> {
  try {
    return new Map((await analyticsApi.journeys()).map((m) => [m.journeyId, m]));
  } catch (error) {
    if (error instanceof NotAvailableError) return null;
    throw error;
  }
}

export function JourneysPage() {
  const [loaded] = useLoad(async () => {
    const [journeys, metrics] = await Promise.all([journeysApi.list(), loadMetrics().catch(() => null)]);
    return { journeys, metrics };
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
            <>
              <table>
                <caption className="visually-hidden">Journeys and their status</caption>
                <thead>
                  <tr>
                    <th scope="col">Journey</th>
                    <th scope="col">Status</th>
                    <th scope="col">Version</th>
                    <th scope="col">Updated</th>
                    {metrics ? (
                      <>
                        <th scope="col">Entered</th>
                        <th scope="col">Active</th>
                        <th scope="col">Converted</th>
                      </>
                    ) : null}
                  </tr>
                </thead>
                <tbody>
                  {journeys.map((j) => {
                    const m = metrics?.get(j.id);
                    return (
                      <tr key={j.id} data-journey={j.id}>
                        <td>
                          <a href={href(`/journeys/${j.id}`)}>{j.name}</a>
                          <div className="muted small">{j.id}</div>
                        </td>
                        <td>
                          <StatusBadge status={j.status} />
                        </td>
                        <td>{j.latestVersion ?? '—'}</td>
                        <td>{formatTime(j.updatedAt)}</td>
                        {metrics ? (
                          <>
                            <td>{m?.entered ?? '—'}</td>
                            <td>{m?.active ?? '—'}</td>
                            <td>
                              {m?.converted ?? '—'}
                              {m?.conversionRate !== undefined ? ` (${(m.conversionRate * 100).toFixed(1)} %)` : ''}
                            </td>
                          </>
                        ) : null}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
              {metrics ? null : <p className="muted small">Headline metrics appear here once the analytics API (/v1/analytics/journeys) is deployed.</p>}
            </>
          )
        }
      </Show>
    </>
  );
}
