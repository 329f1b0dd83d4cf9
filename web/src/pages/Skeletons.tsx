/**
 * Pages wired to endpoints other parts of Perennial are adding; each says "not available" until
 * its endpoint answers. Templates: /v1/templates… (messaging). Simulation: POST
 * /v1/journeys/:id/simulate. Dashboards: /v1/analytics/journeys… (ops).
 */
import { useState, type FormEvent } from 'react';
import { analyticsApi, describeError, journeysApi, NotAvailableError, simulationApi, templatesApi, type Template } from '../api';
import { href, NotAvailable, PageTitle, Show, useLoad } from '../lib';

export function TemplatesPage() {
  const [loaded] = useLoad(() => templatesApi.list(), []);
  return (
    <>
      <div className="page-head">
        <PageTitle title="Templates">Templates</PageTitle>
        <a className="button" href={href('/templates/new')}>
          New template
        </a>
      </div>
      <Show loaded={loaded} what="templates">
        {(templates) =>
          templates.length === 0 ? (
            <p>No templates yet.</p>
          ) : (
            <ul>
              {templates.map((t) => (
                <li key={t.id}>
                  <a href={href(`/templates/${t.id}`)}>{t.id}</a> {t.channel ? <span className="muted small">({t.channel})</span> : null}
                </li>
              ))}
            </ul>
          )
        }
      </Show>
    </>
  );
}

export function TemplatePage({ id }: { id: string | undefined }) {
  const [loaded] = useLoad(async (): Promise<Template | null> => (id ? templatesApi.get(id) : null), [id]);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <a href={href('/templates')}>Templates</a> › {id ?? 'new'}
      </nav>
      <PageTitle title={id ? `Template ${id}` : 'New template'}>{id ? `Template ${id}` : 'New template'}</PageTitle>
      <Show loaded={loaded} what="the template">
        {(template) => <TemplateForm key={id ?? 'new'} id={id} template={template} />}
      </Show>
    </>
  );
}

function TemplateForm({ id, template }: { id: string | undefined; template: Template | null }) {
  const [templateId, setTemplateId] = useState(id ?? '');
  const [channel, setChannel] = useState(template?.channel ?? 'email');
  const [subject, setSubject] = useState(template?.subject ?? '');
  const [body, setBody] = useState(template?.body ?? '');
  const [message, setMessage] = useState<{ ok: boolean; text: string; endpoint?: string } | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await templatesApi.save(templateId, { channel, subject, body });
      setMessage({ ok: true, text: 'Saved.' });
    } catch (error) {
      setMessage(error instanceof NotAvailableError ? { ok: false, text: '', endpoint: error.endpoint } : { ok: false, text: describeError(error) });
    }
  };
  return (
    <form className="stacked" onSubmit={(e) => void save(e)}>
      <div className="field">
        <label htmlFor="template-id">Template id</label>
        <input id="template-id" value={templateId} onChange={(e) => setTemplateId(e.target.value)} readOnly={id !== undefined} required />
      </div>
      <div className="field">
        <label htmlFor="template-channel">Channel</label>
        <select id="template-channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
          {['email', 'sms', 'push', 'wechat'].map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="template-subject">Subject</label>
        <input id="template-subject" value={subject} onChange={(e) => setSubject(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="template-body">Body (Handlebars)</label>
        <textarea id="template-body" rows={12} value={body} onChange={(e) => setBody(e.target.value)} spellCheck={false} />
      </div>
      <div className="toolbar">
        <button type="submit" className="primary">
          Save template
        </button>
      </div>
      <div aria-live="polite">
        {message?.endpoint ? <NotAvailable what="saving templates" endpoint={message.endpoint} /> : message ? <p className={message.ok ? 'ok' : 'error'}>{message.text}</p> : null}
      </div>
    </form>
  );
}

export function SimulationPage() {
  const [journeys] = useLoad(() => journeysApi.list(), []);
  const [journeyId, setJourneyId] = useState('');
  const [customers, setCustomers] = useState(100);
  const [result, setResult] = useState<{ ok: true; data: Record<string, unknown> } | { ok: false; error: unknown } | null>(null);
  const run = async (event: FormEvent) => {
    event.preventDefault();
    try {
      setResult({ ok: true, data: await simulationApi.simulate(journeyId, { customers }) });
    } catch (error) {
      setResult({ ok: false, error });
    }
  };
  return (
    <>
      <PageTitle title="Simulation">Simulation</PageTitle>
      <p>Run a journey’s draft over its whole horizon with simulated customers before launch.</p>
      <Show loaded={journeys} what="journeys">
        {(list) => (
          <form className="inline-form" onSubmit={(e) => void run(e)}>
            <label htmlFor="sim-journey">Journey</label>
            <select id="sim-journey" value={journeyId} onChange={(e) => setJourneyId(e.target.value)} required>
              <option value="">choose…</option>
              {list.map((j) => (
                <option key={j.id} value={j.id}>
                  {j.name}
                </option>
              ))}
            </select>
            <label htmlFor="sim-customers">Customers</label>
            <input id="sim-customers" type="number" min={1} max={10000} value={customers} onChange={(e) => setCustomers(Number(e.target.value))} />
            <button type="submit" className="primary">
              Simulate
            </button>
          </form>
        )}
      </Show>
      <div aria-live="polite">
        {result === null ? null : result.ok ? (
          <pre>{JSON.stringify(result.data, null, 2)}</pre>
        ) : result.error instanceof NotAvailableError ? (
          <NotAvailable what="simulation" endpoint={result.error.endpoint} />
        ) : (
          <p className="error">Simulation failed: {describeError(result.error)}</p>
        )}
      </div>
    </>
  );
}

export function DashboardsPage() {
  const [loaded] = useLoad(() => analyticsApi.journeys(), []);
  return (
    <>
      <PageTitle title="Dashboards">Dashboards</PageTitle>
      <Show loaded={loaded} what="journey analytics">
        {(rows) =>
          rows.length === 0 ? (
            <p>No numbers yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Journey</th>
                  <th scope="col">Entered</th>
                  <th scope="col">Active</th>
                  <th scope="col">Converted</th>
                  <th scope="col">Conversion rate</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((m) => (
                  <tr key={m.journeyId}>
                    <td>
                      <a href={href(`/journeys/${m.journeyId}`)}>{m.journeyId}</a>
                    </td>
                    <td>{m.entered ?? '—'}</td>
                    <td>{m.active ?? '—'}</td>
                    <td>{m.converted ?? '—'}</td>
                    <td>{m.conversionRate === undefined ? '—' : `${(m.conversionRate * 100).toFixed(1)} %`}</td>
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
