/**
 * Templates (api/templates.ts): the list, and an editor for the default locale of a template. Saving
 * (PUT /v1/templates/:id) validates on the server: its issues show next to the form, with their
 * JSON paths. A saved template previews (POST /v1/templates/:id/preview) for sample traits.
 */
import { useState, type FormEvent } from 'react';
import { ApiError, describeError, templatesApi, type Issue, type RenderedPreview, type TemplateBody, type TemplateContent } from '../api';
import { formatTime, href, navigate, PageTitle, Show, useLoad } from '../lib';

const channelList = ['email', 'sms', 'push', 'wechat'];

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
            <table>
              <thead>
                <tr>
                  <th scope="col">Template</th>
                  <th scope="col">Channel</th>
                  <th scope="col">Subject</th>
                  <th scope="col">Version</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {templates.map((t) => (
                  <tr key={t.id} data-template={t.id}>
                    <td>
                      <a href={href(`/templates/${t.id}`)}>{t.id}</a>
                    </td>
                    <td>{t.channel}</td>
                    <td>{t.subject ?? '—'}</td>
                    <td>{t.latestVersion ?? '—'}</td>
                    <td>{formatTime(t.updatedAt)}</td>
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

export function TemplatePage({ id }: { id: string | undefined }) {
  const [loaded] = useLoad(async () => (id ? templatesApi.get(id) : null), [id]);
  return (
    <>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <a href={href('/templates')}>Templates</a> › {id ?? 'new'}
      </nav>
      <PageTitle title={id ? `Template ${id}` : 'New template'}>{id ? `Template ${id}` : 'New template'}</PageTitle>
      <Show loaded={loaded} what="the template">
        {(found) => (
          <>
            <TemplateForm key={id ?? 'new'} id={id} template={found?.template ?? null} />
            {id && found ? (
              <>
                <Preview id={id} traits={found.template.variables?.traits ?? []} />
                <h2>Versions</h2>
                <ul>
                  {found.versions.map((v) => (
                    <li key={v.version}>
                      v{v.version} ({v.defaultLocale}) saved {formatTime(v.createdAt)}
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
          </>
        )}
      </Show>
    </>
  );
}

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function TemplateForm({ id, template }: { id: string | undefined; template: TemplateContent | null }) {
  const initial = template ? template.locales[template.defaultLocale] : undefined;
  const [templateId, setTemplateId] = useState(id ?? '');
  const [channel, setChannel] = useState(template?.channel ?? 'email');
  const [locale, setLocale] = useState(template?.defaultLocale ?? 'en');
  const [subject, setSubject] = useState(initial?.subject ?? '');
  const [text, setText] = useState(initial?.text ?? '');
  const [traits, setTraits] = useState((template?.variables?.traits ?? []).join(', '));
  const [events, setEvents] = useState((template?.variables?.event ?? []).join(', '));
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    setIssues([]);
    const body: TemplateBody = {
      channel,
      defaultLocale: locale,
      // Other locales of a loaded template are kept as they are.
      locales: { ...(template?.locales ?? {}), [locale]: { ...(template?.locales[locale] ?? {}), ...(subject ? { subject } : { subject: undefined }), text } },
      layout: template?.layout ?? null,
      providerTemplateId: template?.providerTemplateId ?? null,
      variables: { traits: splitList(traits), event: splitList(events) },
    };
    try {
      const saved = await templatesApi.save(templateId, body);
      setMessage({ ok: true, text: `Saved version ${saved.version}.` });
      if (!id) navigate(`/templates/${templateId}`);
    } catch (error) {
      if (error instanceof ApiError && error.issues.length) {
        setIssues(error.issues);
        setMessage({ ok: false, text: `Not saved: ${error.issues.length} issue${error.issues.length === 1 ? '' : 's'}.` });
      } else setMessage({ ok: false, text: describeError(error) });
    }
  };
  const issueFor = (suffix: string) => issues.filter((i) => i.path.endsWith(suffix));
  const fieldIssues = (suffix: string, fieldId: string) => {
    const found = issueFor(suffix);
    return found.length ? (
      <span id={`${fieldId}-issues`} className="error small">
        {found.map((i) => i.message).join('; ')}
      </span>
    ) : null;
  };
  const described = (suffix: string, fieldId: string) => (issueFor(suffix).length ? { 'aria-describedby': `${fieldId}-issues`, 'aria-invalid': true } : {});
  return (
    <form className="stacked" onSubmit={(e) => void save(e)}>
      <div className="field">
        <label htmlFor="template-id">Template id</label>
        <input id="template-id" value={templateId} onChange={(e) => setTemplateId(e.target.value)} readOnly={id !== undefined} required />
      </div>
      <div className="field">
        <label htmlFor="template-channel">Channel</label>
        <select id="template-channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
          {channelList.map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
        {fieldIssues('.channel', 'template-channel')}
      </div>
      <div className="field">
        <label htmlFor="template-locale">Default locale</label>
        <input id="template-locale" value={locale} onChange={(e) => setLocale(e.target.value)} required {...described('.defaultLocale', 'template-locale')} />
        {fieldIssues('.defaultLocale', 'template-locale')}
      </div>
      <div className="field">
        <label htmlFor="template-subject">Subject</label>
        <input id="template-subject" value={subject} onChange={(e) => setSubject(e.target.value)} {...described('.subject', 'template-subject')} />
        {fieldIssues('.subject', 'template-subject')}
      </div>
      <div className="field">
        <label htmlFor="template-body">Body (Handlebars)</label>
        <textarea id="template-body" rows={10} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} {...described('.text', 'template-body')} />
        <span className="muted small">
          Variables: customer.id, customer.locale, customer.tags, customer.aiplStage, customer.&lt;declared trait&gt;, event.&lt;declared property&gt;, links.unsubscribe.
        </span>
        {fieldIssues('.text', 'template-body')}
      </div>
      <div className="field">
        <label htmlFor="template-traits">Trait variables (comma-separated)</label>
        <input id="template-traits" value={traits} onChange={(e) => setTraits(e.target.value)} placeholder="firstName, city" />
      </div>
      <div className="field">
        <label htmlFor="template-events">Event properties (comma-separated)</label>
        <input id="template-events" value={events} onChange={(e) => setEvents(e.target.value)} />
      </div>
      <div className="toolbar">
        <button type="submit" className="primary">
          Save template
        </button>
      </div>
      <div aria-live="polite">
        {message ? <p className={message.ok ? 'ok' : 'error'}>{message.text}</p> : null}
        {issues.length ? (
          <ul className="issues" data-testid="template-issues">
            {issues.map((i, n) => (
              <li key={n}>
                <code>{i.path}</code> {i.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </form>
  );
}

function Preview({ id, traits }: { id: string; traits: string[] }) {
  const [sample, setSample] = useState(() => JSON.stringify(Object.fromEntries(traits.map((t) => [t, 'Ada'])), null, 2));
  const [result, setResult] = useState<{ ok: true; preview: RenderedPreview } | { ok: false; text: string } | null>(null);
  const run = async (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(sample);
    } catch (error) {
      setResult({ ok: false, text: `Sample traits are not JSON: ${describeError(error)}` });
      return;
    }
    try {
      setResult({ ok: true, preview: await templatesApi.preview(id, { sample: { traits: parsed as Record<string, unknown> } }) });
    } catch (error) {
      const issues = error instanceof ApiError ? error.issues.map((i) => i.message).join('; ') : '';
      setResult({ ok: false, text: issues || describeError(error) });
    }
  };
  return (
    <section aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview</h2>
      <form className="stacked" onSubmit={(e) => void run(e)}>
        <div className="field">
          <label htmlFor="preview-traits">Sample traits (JSON)</label>
          <textarea id="preview-traits" rows={4} value={sample} onChange={(e) => setSample(e.target.value)} spellCheck={false} />
        </div>
        <div className="toolbar">
          <button type="submit">Preview</button>
        </div>
      </form>
      <div aria-live="polite" data-testid="preview">
        {result === null ? null : result.ok ? (
          <dl className="facts">
            <dt>Locale</dt>
            <dd>{result.preview.locale}</dd>
            {result.preview.subject !== undefined ? (
              <>
                <dt>Subject</dt>
                <dd>{result.preview.subject}</dd>
              </>
            ) : null}
            <dt>Text</dt>
            <dd>
              <pre>{result.preview.text}</pre>
            </dd>
          </dl>
        ) : (
          <p className="error">{result.text}</p>
        )}
      </div>
    </section>
  );
}
