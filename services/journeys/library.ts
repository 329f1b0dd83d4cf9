/**
 * Installing from the journey library (routes: api/library.ts). Installing saves the
 * entry's templates as new template versions, writes each journey's draft and publishes it through
 * the journey service (validation, and the publish-time simulation check when the app runs it):
 * the same path a marketer's own journey takes. Idempotent: what is already current (a template
 * version, a draft, a published version) is left alone, so installing twice publishes nothing new.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import { createTemplateEngine, loadPartials, loadTemplate } from '../messaging/templates';
import type { Db } from '../../drizzle/client';
import { productCategories, products } from '../../drizzle/schema';
import { InstallParameterError, library, libraryEntry, planInstall, type InstallContext } from '../../library';
import { saveTemplateVersion, validateTemplate } from '../messaging/template-versions';
import type { TemplateBody } from '../../domain/messaging/template-body';
import { issuesOf, jsonPath, RequestValidationError } from '../issues';
import { JourneyError, type JourneyService } from './lifecycle';

/** The publish-time check failed to run (not a journey problem): the install stops there. */
export class LibrarySimulationError extends Error {}

/** `Check`: what the app's publish-time check answers (a simulation summary), reported per journey. */
export interface InstallOutcome<Check = unknown> {
  id: string;
  /** `skipped`: why the journey was left as it is (an archived one), instead of installed. */
  journeys: { id: string; version: number; published: boolean; skipped?: string; check?: Check }[];
  templates: { id: string; version: number; saved: boolean }[];
}

/** JSON with object keys sorted: jsonb does not keep key order, so stored and planned documents compare by this. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const templateDocument = (
  t: Pick<TemplateBody, 'channel' | 'defaultLocale' | 'locales' | 'layout' | 'providerTemplateId' | 'variables'>,
) =>
  canonicalJson({
    channel: t.channel,
    defaultLocale: t.defaultLocale,
    locales: t.locales,
    layout: t.layout ?? null,
    providerTemplateId: t.providerTemplateId ?? null,
    variables: t.variables,
  });

export async function installContext(db: Db): Promise<InstallContext> {
  const categories = await db.select().from(productCategories).orderBy(productCategories.id);
  const devices = await db
    .selectDistinct({ category: products.category })
    .from(products)
    .where(eq(products.kind, 'device'));
  return { categories, deviceCategories: devices.map((d) => d.category).sort() };
}

export function createLibraryService<Check = unknown>(deps: {
  db: Db;
  journeys: JourneyService;
  /** Runs before each publish (the app's simulation check); its result is reported, a throw stops the install. */
  check?: (journey: {
    id: string;
    definition: Awaited<ReturnType<JourneyService['draftDefinition']>>;
  }) => Promise<Check>;
}) {
  const { db, journeys } = deps;
  const engine = createTemplateEngine();

  async function saveTemplate(id: string, body: TemplateBody) {
    const issues = validateTemplate(engine, body, await loadPartials(db));
    if (issues.length)
      throw new Error(`library template ${id} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    const current = await loadTemplate(db, id);
    if (
      current &&
      current.version !== null &&
      current.channel === body.channel &&
      templateDocument(current) === templateDocument(body)
    ) {
      return { id, version: current.version, saved: false };
    }
    const { version } = await saveTemplateVersion(db, id, body);
    return { id, version, saved: true };
  }

  async function publishJourney(id: string, definition: unknown) {
    const existing = await journeys.get(id).catch((error: unknown) => {
      if (error instanceof JourneyError && error.code === 'not_found') return undefined;
      throw error;
    });
    // Someone archived it: their decision stands, and the install says so.
    if (existing?.status === 'archived')
      return {
        id,
        version: existing.latestVersion ?? 0,
        published: false,
        skipped: `archived: restore it with POST /v1/journeys/${id}/unarchive (perennial journeys unarchive ${id}) to install it again`,
      };
    if (!existing) await journeys.createDraft(id, definition);
    else if (canonicalJson(existing.draft) !== canonicalJson(definition)) await journeys.updateDraft(id, definition);
    const draft = await journeys.draftDefinition(id);
    if (existing?.latestVersion) {
      const latest = await journeys.version(id);
      if (canonicalJson(latest.definition) === canonicalJson(draft))
        return { id, version: latest.version, published: false };
    }
    let check: Check | undefined;
    if (deps.check) {
      try {
        check = await deps.check({ id, definition: draft });
      } catch (error) {
        if (error instanceof JourneyError) throw error;
        throw new LibrarySimulationError(
          `simulating journey ${id} failed, so it was not published: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const { version } = await journeys.publish(id);
    return { id, version, published: true, ...(check === undefined ? {} : { check }) };
  }

  return {
    list() {
      return library.map((entry) => ({
        id: entry.id,
        title: entry.title,
        summary: entry.summary,
        events: entry.events,
        templates: Object.keys(entry.templates),
        parameters: entry.parameters ? z.toJSONSchema(entry.parameters, { io: 'input', unrepresentable: 'any' }) : null,
      }));
    },
    /** Installs entry `id`; `null` when there is no such entry. Bad parameters: RequestValidationError with paths under `$.body.parameters`. */
    async install(id: string, parameters: Record<string, unknown> | undefined): Promise<InstallOutcome<Check> | null> {
      const entry = libraryEntry(id);
      if (!entry) return null;
      const at = ['$', 'body', 'parameters'];
      let parsed: unknown = {};
      if (entry.parameters) {
        const result = entry.parameters.safeParse(parameters ?? {});
        if (!result.success) throw new RequestValidationError(issuesOf(result.error, at));
        parsed = result.data;
      } else if (parameters && Object.keys(parameters).length > 0) {
        throw new RequestValidationError([{ path: jsonPath(at), message: `${id} takes no parameters` }]);
      }
      let planned;
      try {
        planned = planInstall(entry, parsed, await installContext(db));
      } catch (error) {
        if (error instanceof InstallParameterError)
          throw new RequestValidationError(
            error.issues.map((i) => ({ path: jsonPath([...at, ...i.path]), message: i.message })),
          );
        throw error;
      }
      const templates = new Map<string, TemplateBody>();
      for (const journey of planned)
        for (const [templateId, body] of Object.entries(journey.templates)) templates.set(templateId, body);
      const savedTemplates = [];
      for (const [templateId, body] of templates) savedTemplates.push(await saveTemplate(templateId, body));
      const published = [];
      for (const journey of planned) published.push(await publishJourney(journey.id, journey.definition));
      return { id, journeys: published, templates: savedTemplates };
    },
  };
}
export type LibraryService<Check = unknown> = ReturnType<typeof createLibraryService<Check>>;
