/**
 * The journey library over HTTP: `GET /v1/library` lists the entries (titles and summaries in en and
 * zh-CN); `POST /v1/library/:id/install` installs one with optional parameters. Installing saves the
 * entry's templates as new template versions, writes each journey's draft and publishes it through
 * the journey service (validation, and the publish-time simulation check when the app runs it):
 * the same path a marketer's own journey takes. Idempotent: what is already current (a template
 * version, a draft, a published version) is left alone, so installing twice publishes nothing new.
 */
import { eq } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminErrors, errors } from './schemas/common';
import { libraryInstall, libraryListing } from './schemas/library';
import type { PublishCheck } from './schemas/journeys';
import { z } from 'zod';
import { createTemplateEngine, loadPartials, loadTemplate } from '../activities/templates';
import type { Db } from '../drizzle/client';
import { productCategories, products } from '../drizzle/schema';
import { InstallParameterError, library, libraryEntry, planInstall, type InstallContext } from '../library';
import { saveTemplateVersion, validateTemplate, type TemplateBody } from './templates';
import { adminSecurity, issuesOf, jsonPath, RequestValidationError } from './http';
import { JourneyError, type JourneyService } from './journeys';

/** The publish-time check failed to run (not a journey problem): the install stops there. */
export class LibrarySimulationError extends Error {}

export interface InstallOutcome {
  id: string;
  journeys: { id: string; version: number; published: boolean; check?: PublishCheck }[];
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

export function createLibraryService(deps: {
  db: Db;
  journeys: JourneyService;
  /** Runs before each publish (the app's simulation check); its result is reported, a throw stops the install. */
  check?: (journey: {
    id: string;
    definition: Awaited<ReturnType<JourneyService['draftDefinition']>>;
  }) => Promise<PublishCheck>;
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
    if (existing?.status === 'archived')
      throw new JourneyError(
        'conflict',
        `journey ${id} is archived: unarchiving is not supported, so the library cannot install it again`,
      );
    if (!existing) await journeys.createDraft(id, definition);
    else if (canonicalJson(existing.draft) !== canonicalJson(definition)) await journeys.updateDraft(id, definition);
    const draft = await journeys.draftDefinition(id);
    if (existing?.latestVersion) {
      const latest = await journeys.version(id);
      if (canonicalJson(latest.definition) === canonicalJson(draft))
        return { id, version: latest.version, published: false };
    }
    let check: PublishCheck | undefined;
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
    async install(id: string, parameters: Record<string, unknown> | undefined): Promise<InstallOutcome | null> {
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
export type LibraryService = ReturnType<typeof createLibraryService>;

const idParams = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and "-"') });
const installBody = z
  .object({
    parameters: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('install parameters of the entry (see its `parameters` schema in GET /v1/library)'),
  })
  .strict();

export const libraryRoutes: FastifyPluginAsyncZod<{ library: LibraryService }> = async (app, { library: service }) => {
  const tags = ['library'];
  const security = adminSecurity;
  app.get(
    '/v1/library',
    {
      schema: {
        tags,
        security,
        summary: 'The journey library: proven journeys to install, with titles and summaries in en and zh-CN',
        response: { 200: libraryListing, ...adminErrors },
      },
    },
    async () => ({ library: service.list() }),
  );
  app.post(
    '/v1/library/:id/install',
    {
      schema: {
        tags,
        security,
        summary: 'Install a library journey: save its templates, write and publish its journeys (idempotent)',
        params: idParams,
        body: installBody,
        response: { 200: libraryInstall, ...adminErrors, 404: errors[404], 409: errors[409] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      try {
        const outcome = await service.install(id, request.body.parameters);
        if (!outcome)
          return reply
            .code(404)
            .send({ error: 'not_found', message: `no library journey ${id} (see GET /v1/library)` });
        return outcome;
      } catch (error) {
        if (error instanceof LibrarySimulationError)
          return reply.code(409).send({ error: 'simulation_failed', message: error.message });
        throw error;
      }
    },
  );
};
