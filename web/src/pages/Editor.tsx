/**
 * The journey editor: JSON on the left, validated as you type by the same code the API runs
 * (domain/journey/validate.ts), issues listed with their JSON paths, and the graph drawn live.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  JourneyParseError,
  parseJourneyText,
  validateJourney,
  type ValidationIssue,
} from '../../../domain/journey/validate';
import { ApiError, describeError, journeysApi } from '../api';
import { JourneyGraph } from '../JourneyGraph';
import { navigate, PageTitle, Show, useLoad } from '../lib';

const journeyIdPattern = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const starterDefinition = {
  name: 'New journey',
  entry: { type: 'api' },
  start: 'wait',
  steps: {
    wait: { type: 'wait', duration: { days: 1 }, next: 'done' },
    done: { type: 'exit', reason: 'completed' },
  },
};

type Checked =
  { syntax: string; value?: undefined; issues: [] } | { syntax: null; value: unknown; issues: ValidationIssue[] };

function check(text: string): Checked {
  let value: unknown;
  try {
    value = parseJourneyText(text, 'json');
  } catch (error) {
    return { syntax: error instanceof JourneyParseError ? error.message : String(error), issues: [] };
  }
  const result = validateJourney(value);
  return { syntax: null, value, issues: result.ok ? [] : result.issues };
}

/** Where a JSON path points in the text, roughly: each key searched for after the previous one. */
export function locate(text: string, path: string): number {
  let at = 0;
  for (const m of path.matchAll(/\.([A-Za-z_$][\w$]*)|\["((?:[^"\\]|\\.)*)"\]/g)) {
    const key = m[1] ?? (JSON.parse(`"${m[2] ?? ''}"`) as string);
    const found = text.indexOf(JSON.stringify(key), at);
    if (found < 0) break;
    at = found;
  }
  return at;
}

export function EditorPage({ id }: { id?: string }) {
  const [loaded] = useLoad(async () => (id ? (await journeysApi.get(id)).journey : null), [id]);
  return (
    <Show loaded={loaded} what="the journey">
      {(journey) => (
        <Editor
          key={id ?? 'new'}
          id={id}
          initial={journey ? JSON.stringify(journey.draft, null, 2) : JSON.stringify(starterDefinition, null, 2)}
          name={journey?.name}
        />
      )}
    </Show>
  );
}

function Editor({ id, initial, name }: { id: string | undefined; initial: string; name: string | undefined }) {
  const [journeyId, setJourneyId] = useState(id ?? '');
  const [text, setText] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [serverError, setServerError] = useState<{ message: string; issues: ValidationIssue[] } | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const checked = useMemo(() => check(text), [text]);
  useEffect(() => setServerError(null), [text]);

  const idProblem = id
    ? null
    : journeyId === ''
      ? 'required'
      : journeyIdPattern.test(journeyId)
        ? null
        : 'lowercase letters, digits and "-", starting with a letter or digit';
  const valid = checked.syntax === null && checked.issues.length === 0 && idProblem === null;

  const goTo = (path: string) => {
    const el = textarea.current;
    if (!el) return;
    const at = locate(text, path);
    const end = text.indexOf('\n', at);
    el.focus();
    el.setSelectionRange(at, end < 0 ? text.length : end);
  };

  const save = async (publish: boolean) => {
    setBusy(true);
    setServerError(null);
    setSaved(null);
    const target = id ?? journeyId;
    try {
      await journeysApi.saveDraft(target, checked.value);
      if (publish) {
        const { version } = await journeysApi.publish(target);
        setSaved(`Published version ${version}.`);
        navigate(`/journeys/${target}`);
      } else {
        setSaved('Draft saved.');
        if (!id) navigate(`/journeys/${target}/edit`);
      }
    } catch (error) {
      setServerError({ message: describeError(error), issues: error instanceof ApiError ? error.issues : [] });
    } finally {
      setBusy(false);
    }
  };

  const issueCount = checked.syntax ? 1 : checked.issues.length;
  return (
    <>
      <PageTitle title={id ? `Edit ${name ?? id}` : 'New journey'}>
        {id ? `Edit “${name ?? id}”` : 'New journey'}
      </PageTitle>
      <div className="editor">
        <div className="editor-left">
          {id ? null : (
            <div className="field">
              <label htmlFor="journey-id">Journey id</label>
              <input
                id="journey-id"
                value={journeyId}
                onChange={(e) => setJourneyId(e.target.value)}
                aria-invalid={idProblem !== null}
                aria-describedby="journey-id-help"
                autoComplete="off"
                spellCheck={false}
              />
              <span id="journey-id-help" className={idProblem && journeyId !== '' ? 'error small' : 'muted small'}>
                {idProblem && journeyId !== '' ? idProblem : 'Used in URLs and the API; cannot be changed later.'}
              </span>
            </div>
          )}
          <div className="field">
            <label htmlFor="definition">Journey definition (JSON)</label>
            <textarea
              id="definition"
              ref={textarea}
              value={text}
              onChange={(e) => setText(e.target.value)}
              spellCheck={false}
              rows={24}
              aria-describedby="validation"
              aria-invalid={issueCount > 0}
            />
          </div>
          <div id="validation" className="validation" aria-live="polite">
            {checked.syntax ? (
              <p className="error" data-testid="validation-status">
                {checked.syntax}
              </p>
            ) : checked.issues.length > 0 ? (
              <>
                <p className="error" data-testid="validation-status">
                  {checked.issues.length} issue{checked.issues.length === 1 ? '' : 's'}:
                </p>
                <ul className="issues">
                  {checked.issues.map((issue, i) => (
                    <li key={i}>
                      <button type="button" className="link" onClick={() => goTo(issue.path)}>
                        <code>{issue.path}</code>
                      </button>{' '}
                      {issue.message}
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p className="ok" data-testid="validation-status">
                Valid journey.
              </p>
            )}
          </div>
          <div className="toolbar">
            <button type="button" disabled={!valid || busy} onClick={() => void save(false)}>
              Save draft
            </button>
            <button type="button" className="primary" disabled={!valid || busy} onClick={() => void save(true)}>
              Save and publish
            </button>
            <span role="status" className="muted">
              {saved ?? ''}
            </span>
          </div>
          {serverError ? (
            <div className="error" role="alert">
              <p>{serverError.message}</p>
              {serverError.issues.length > 0 ? (
                <ul className="issues">
                  {serverError.issues.map((issue, i) => (
                    <li key={i}>
                      <code>{issue.path}</code> {issue.message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </div>
          ) : null}
        </div>
        <div className="editor-right">
          <h2>Preview</h2>
          {checked.syntax ? (
            <p className="muted">Fix the JSON to see the graph.</p>
          ) : (
            <JourneyGraph definition={checked.value} label="Preview of the journey graph" />
          )}
        </div>
      </div>
    </>
  );
}
