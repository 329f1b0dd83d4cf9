/**
 * Templates (api/templates.ts): the list, and an editor of every locale of a template (add and
 * remove locales, choose the default). As you type, the draft goes to POST /v1/template-previews,
 * which checks it as a save would and renders each locale for a sample or stored customer: the
 * issues show inline under the field of their locale path, the previews beside each locale.
 * Saving (PUT /v1/templates/:id) validates again on the server.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import {
  ApiError,
  describeError,
  templatesApi,
  type DraftPreview,
  type Issue,
  type Channel,
  type PreviewCustomer,
  type TemplateBody,
  type TemplateContent,
  type TemplateParts,
} from '../api';
import { formatTime, href, navigate, PageTitle, Show, useLoad } from '../lib';

const channelList = ['email', 'sms', 'push', 'wechat'];
/** api/templates.ts localeTag. */
const localePattern = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Pause in typing before the draft is checked and previewed. */
const LIVE_DELAY_MS = 350;

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

/** One locale being edited; `parts` keeps what the form does not edit (html, fields). */
interface LocaleDraft {
  key: number;
  tag: string;
  subject: string;
  text: string;
  parts: TemplateParts;
}

/** `$.body.template.locales.zh-CN.subject` (live) or `$.body.locales.zh-CN.subject` (save) → `locales.zh-CN.subject`. */
export function relativePath(path: string): string {
  return path.replace(/^\$\.body(\.template)?\.?/, '');
}

/** The form's locales as the API takes them. */
function toBody(
  channel: Channel,
  defaultLocale: string,
  locales: LocaleDraft[],
  traits: string,
  events: string,
  template: TemplateContent | null,
): TemplateBody {
  return {
    channel,
    defaultLocale,
    locales: Object.fromEntries(
      locales.map((l) => {
        const { subject: _subject, text: _text, ...kept } = l.parts;
        return [l.tag, { ...kept, ...(l.subject ? { subject: l.subject } : {}), text: l.text }];
      }),
    ),
    layout: template?.layout ?? null,
    providerTemplateId: template?.providerTemplateId ?? null,
    variables: { traits: splitList(traits), event: splitList(events) },
  };
}

/** The sample customer's JSON, checked before anything is sent (a bad one never reaches the API). */
function previewCustomer(
  traitsJson: string,
  eventJson: string,
  customerId: string,
): { customer: PreviewCustomer; event: Record<string, unknown> } | { problem: string } {
  const object = (text: string, what: string): Record<string, unknown> | string => {
    try {
      const value: unknown = JSON.parse(text === '' ? '{}' : text);
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : `${what} must be a JSON object`;
    } catch (error) {
      return `${what} are not JSON: ${describeError(error)}`;
    }
  };
  const event = object(eventJson, 'Sample event properties');
  if (typeof event === 'string') return { problem: event };
  if (customerId.trim() !== '') {
    if (!uuidPattern.test(customerId.trim())) return { problem: 'A customer id is a uuid (from the customer page).' };
    return { customer: { customerId: customerId.trim() }, event };
  }
  const traits = object(traitsJson, 'Sample traits');
  if (typeof traits === 'string') return { problem: traits };
  return { customer: { sample: { traits } }, event };
}

function TemplateForm({ id, template }: { id: string | undefined; template: TemplateContent | null }) {
  const nextKey = useRef(0);
  const draftOf = (tag: string, parts: TemplateParts): LocaleDraft => ({
    key: nextKey.current++,
    tag,
    subject: parts.subject ?? '',
    text: parts.text,
    parts,
  });
  const [templateId, setTemplateId] = useState(id ?? '');
  const [channel, setChannel] = useState<Channel>(template?.channel ?? 'email');
  const [locales, setLocales] = useState<LocaleDraft[]>(() =>
    template
      ? Object.entries(template.locales).map(([tag, parts]) => draftOf(tag, parts))
      : [draftOf('en', { text: '' })],
  );
  const [defaultLocale, setDefaultLocale] = useState(template?.defaultLocale ?? 'en');
  const [traits, setTraits] = useState((template?.variables?.traits ?? []).join(', '));
  const [events, setEvents] = useState((template?.variables?.event ?? []).join(', '));
  const [newLocale, setNewLocale] = useState('');
  const [newLocaleProblem, setNewLocaleProblem] = useState<string | null>(null);
  const [sampleTraits, setSampleTraits] = useState(() =>
    JSON.stringify(Object.fromEntries((template?.variables?.traits ?? []).map((t) => [t, 'Ada'])), null, 2),
  );
  const [sampleEvent, setSampleEvent] = useState(() =>
    JSON.stringify(Object.fromEntries((template?.variables?.event ?? []).map((e) => [e, 1])), null, 2),
  );
  const [customerId, setCustomerId] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [live, setLive] = useState<
    { state: 'idle' | 'checking' } | { state: 'done'; previews: DraftPreview[] } | { state: 'error'; text: string }
  >({ state: 'idle' });

  const body = toBody(channel, defaultLocale, locales, traits, events, template);
  const bodyJson = JSON.stringify(body);
  const who = previewCustomer(sampleTraits, sampleEvent, customerId);
  const whoJson = JSON.stringify(who);

  // Live check and preview: after a pause in typing; a newer draft's answer wins.
  const latest = useRef(0);
  useEffect(() => {
    const asked = ++latest.current;
    const customer = JSON.parse(whoJson) as ReturnType<typeof previewCustomer>;
    if ('problem' in customer) {
      setLive({ state: 'error', text: customer.problem });
      return;
    }
    setLive({ state: 'checking' });
    const timer = setTimeout(() => {
      templatesApi.previewDraft(JSON.parse(bodyJson) as TemplateBody, customer.customer, customer.event).then(
        (answer) => {
          if (asked !== latest.current) return;
          setIssues(answer.issues);
          setLive({ state: 'done', previews: answer.previews });
        },
        (error: unknown) => asked === latest.current && setLive({ state: 'error', text: describeError(error) }),
      );
    }, LIVE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [bodyJson, whoJson]);

  const update = (key: number, change: Partial<LocaleDraft>) =>
    setLocales((all) => all.map((l) => (l.key === key ? { ...l, ...change } : l)));
  const addLocale = (event: FormEvent) => {
    event.preventDefault();
    const tag = newLocale.trim();
    if (!localePattern.test(tag)) return setNewLocaleProblem('A BCP 47 tag such as en or zh-CN.');
    if (locales.some((l) => l.tag.toLowerCase() === tag.toLowerCase()))
      return setNewLocaleProblem(`${tag} is already there.`);
    const from = locales.find((l) => l.tag === defaultLocale);
    setLocales((all) => [
      ...all,
      draftOf(tag, { text: from?.text ?? '', ...(from?.subject ? { subject: from.subject } : {}) }),
    ]);
    setNewLocale('');
    setNewLocaleProblem(null);
  };
  const removeLocale = (draft: LocaleDraft) => {
    const rest = locales.filter((l) => l.key !== draft.key);
    setLocales(rest);
    if (draft.tag === defaultLocale && rest[0]) setDefaultLocale(rest[0].tag);
  };

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    try {
      const saved = await templatesApi.save(templateId, body);
      setIssues([]);
      setMessage({ ok: true, text: `Saved version ${saved.version}.` });
      if (!id) navigate(`/templates/${templateId}`);
    } catch (error) {
      if (error instanceof ApiError && error.issues.length) {
        setIssues(error.issues);
        setMessage({
          ok: false,
          text: `Not saved: ${error.issues.length} issue${error.issues.length === 1 ? '' : 's'}.`,
        });
      } else setMessage({ ok: false, text: describeError(error) });
    }
  };

  const issuesAt = (prefix: string) =>
    issues.filter((i) => relativePath(i.path) === prefix || relativePath(i.path).startsWith(`${prefix}.`));
  const inline = (found: Issue[], fieldId: string) =>
    found.length ? (
      <span id={`${fieldId}-issues`} className="error small" data-testid={`${fieldId}-issues`}>
        {found.map((i) => i.message).join('; ')}
      </span>
    ) : null;
  const described = (found: Issue[], fieldId: string) =>
    found.length ? { 'aria-describedby': `${fieldId}-issues`, 'aria-invalid': true } : {};
  const previewOf = (tag: string) => (live.state === 'done' ? live.previews.find((p) => p.locale === tag) : undefined);

  return (
    <form onSubmit={(e) => void save(e)} className="template-form">
      <div className="template-settings">
        <div className="field">
          <label htmlFor="template-id">Template id</label>
          <input
            id="template-id"
            value={templateId}
            onChange={(e) => setTemplateId(e.target.value)}
            readOnly={id !== undefined}
            required
          />
        </div>
        <div className="field">
          <label htmlFor="template-channel">Channel</label>
          <select
            id="template-channel"
            value={channel}
            onChange={(e) => setChannel(e.target.value as Channel)}
            {...described(issuesAt('channel'), 'template-channel')}
          >
            {channelList.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
          {inline(issuesAt('channel'), 'template-channel')}
        </div>
        <div className="field">
          <label htmlFor="template-default-locale">Default locale</label>
          <select
            id="template-default-locale"
            value={defaultLocale}
            onChange={(e) => setDefaultLocale(e.target.value)}
            {...described(issuesAt('defaultLocale'), 'template-default-locale')}
          >
            {locales.map((l) => (
              <option key={l.key} value={l.tag}>
                {l.tag}
              </option>
            ))}
          </select>
          <span className="muted small">Sent when the customer’s locale has no content.</span>
          {inline(issuesAt('defaultLocale'), 'template-default-locale')}
        </div>
        <div className="field">
          <label htmlFor="template-traits">Trait variables (comma-separated)</label>
          <input
            id="template-traits"
            value={traits}
            onChange={(e) => setTraits(e.target.value)}
            placeholder="firstName, city"
            {...described(issuesAt('variables'), 'template-traits')}
          />
          {inline(issuesAt('variables'), 'template-traits')}
        </div>
        <div className="field">
          <label htmlFor="template-events">Event properties (comma-separated)</label>
          <input id="template-events" value={events} onChange={(e) => setEvents(e.target.value)} />
        </div>
      </div>

      <fieldset className="preview-as">
        <legend>Preview as</legend>
        <div className="field">
          <label htmlFor="preview-traits">Sample traits (JSON)</label>
          <textarea
            id="preview-traits"
            rows={3}
            value={sampleTraits}
            onChange={(e) => setSampleTraits(e.target.value)}
            spellCheck={false}
            disabled={customerId.trim() !== ''}
          />
        </div>
        <div className="field">
          <label htmlFor="preview-event">Sample event properties (JSON)</label>
          <textarea
            id="preview-event"
            rows={3}
            value={sampleEvent}
            onChange={(e) => setSampleEvent(e.target.value)}
            spellCheck={false}
          />
        </div>
        <div className="field">
          <label htmlFor="preview-customer">Or a stored customer (id)</label>
          <input
            id="preview-customer"
            value={customerId}
            onChange={(e) => setCustomerId(e.target.value)}
            placeholder="uuid from the customer page"
          />
        </div>
        <p role="status" className={live.state === 'error' ? 'error small' : 'muted small'} data-testid="live-status">
          {live.state === 'checking'
            ? 'Checking…'
            : live.state === 'error'
              ? live.text
              : live.state === 'done'
                ? issues.length
                  ? `${issues.length} issue${issues.length === 1 ? '' : 's'} in the draft.`
                  : 'No issues; previews are current.'
                : ''}
        </p>
      </fieldset>

      {locales.map((l) => {
        const at = `locales.${l.tag}`;
        const base = `locale-${l.key}`;
        const preview = previewOf(l.tag);
        const rest = issuesAt(at).filter(
          (i) => !['subject', 'text'].includes(relativePath(i.path).slice(at.length + 1)),
        );
        return (
          <fieldset key={l.key} className="locale" data-locale={l.tag} aria-labelledby={`${base}-legend`}>
            <legend id={`${base}-legend`}>
              Locale {l.tag}
              {l.tag === defaultLocale ? <span className="badge">default</span> : null}
            </legend>
            <div className="locale-grid">
              <div>
                <div className="field">
                  <label htmlFor={`${base}-subject`}>Subject — {l.tag}</label>
                  <input
                    id={`${base}-subject`}
                    lang={l.tag}
                    value={l.subject}
                    onChange={(e) => update(l.key, { subject: e.target.value })}
                    {...described(issuesAt(`${at}.subject`), `${base}-subject`)}
                  />
                  {inline(issuesAt(`${at}.subject`), `${base}-subject`)}
                </div>
                <div className="field">
                  <label htmlFor={`${base}-text`}>Body (Handlebars) — {l.tag}</label>
                  <textarea
                    id={`${base}-text`}
                    lang={l.tag}
                    rows={7}
                    value={l.text}
                    onChange={(e) => update(l.key, { text: e.target.value })}
                    spellCheck={false}
                    {...described(issuesAt(`${at}.text`), `${base}-text`)}
                  />
                  {inline(issuesAt(`${at}.text`), `${base}-text`)}
                </div>
                {rest.length ? (
                  <ul className="issues">
                    {rest.map((i, n) => (
                      <li key={n} className="error small">
                        <code>{relativePath(i.path)}</code> {i.message}
                      </li>
                    ))}
                  </ul>
                ) : null}
                <button type="button" onClick={() => removeLocale(l)} disabled={locales.length === 1}>
                  Remove locale {l.tag}
                </button>
              </div>
              <div className="locale-preview" data-testid={`preview-${l.tag}`}>
                <h3 className="small">Preview ({l.tag})</h3>
                {preview === undefined ? (
                  <p className="muted small">{live.state === 'checking' ? 'Rendering…' : 'No preview.'}</p>
                ) : 'error' in preview ? (
                  <p className="error small">{preview.error}</p>
                ) : (
                  <dl className="facts" lang={l.tag}>
                    {preview.subject !== undefined ? (
                      <>
                        <dt>Subject</dt>
                        <dd data-field="subject">{preview.subject}</dd>
                      </>
                    ) : null}
                    <dt>Text</dt>
                    <dd>
                      <pre data-field="text">{preview.text}</pre>
                    </dd>
                  </dl>
                )}
              </div>
            </div>
          </fieldset>
        );
      })}

      <div className="toolbar">
        <label htmlFor="new-locale">Add a locale</label>
        <input
          id="new-locale"
          value={newLocale}
          onChange={(e) => setNewLocale(e.target.value)}
          placeholder="zh-CN"
          size={8}
          onKeyDown={(e) => {
            if (e.key === 'Enter') addLocale(e);
          }}
          {...(newLocaleProblem ? { 'aria-invalid': true, 'aria-describedby': 'new-locale-problem' } : {})}
        />
        <button type="button" onClick={addLocale}>
          Add locale
        </button>
        {newLocaleProblem ? (
          <span id="new-locale-problem" className="error small" role="alert">
            {newLocaleProblem}
          </span>
        ) : null}
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
                <code>{relativePath(i.path)}</code> {i.message}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </form>
  );
}
