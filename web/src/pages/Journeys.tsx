import { journeysApi } from '../api';
import { formatTime, href, PageTitle, Show, StatusBadge, useLoad } from '../lib';

export function JourneysPage() {
  const [loaded] = useLoad(async () => ({ journeys: await journeysApi.list() }), []);
  return (
    <>
      <div className="page-head">
        <PageTitle title="Journeys">Journeys</PageTitle>
        <a className="button primary" href={href('/journeys/new')}>
          New journey
        </a>
      </div>
      <Show loaded={loaded} what="journeys">
        {({ journeys }) =>
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
                        <td>{formatTime(j.updatedAt)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </>
          )
        }
      </Show>
    </>
  );
}
