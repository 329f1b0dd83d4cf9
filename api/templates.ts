/**
 * Admin routes for templates: `PUT /v1/templates/:id` validates and saves a new immutable version
 * (parse errors with line and column, unknown variables, helpers and partials: 400 with JSON paths
 * like `$.body.locales.zh-CN.html`), versions are listed and read back, partials and layouts are
 * shared, and `POST /v1/templates/:id/preview` renders a version for a stored or sample customer.
 * Journeys keep referencing the template id; sends render its latest version.
 */
import { and, desc, eq, isNotNull } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createTemplateEngine,
  loadPartials,
  loadTemplate,
  renderContext,
  type TemplateVersionContent,
} from '../services/messaging/templates';
import type { Db } from '../drizzle/client';
import { customers, journeys, journeyVersions, templatePartials, templates, templateVersions } from '../drizzle/schema';
import { isValidTimeZone } from '../domain/time';
import { adminSecurity, issuesOf, RequestValidationError } from './http';
import { saveTemplateVersion, validateTemplate } from '../services/messaging/template-versions';
import { LAYOUT_OUTPUTS, PARTIAL_OUTPUTS } from '../services/messaging/render';
import { adminErrors, errors, INT4_MAX } from './schemas/common';
import {
  draftPreviews,
  localeTag,
  partialList,
  partialSaved,
  renderedPreview,
  sampleProfile,
  slug,
  source,
  templateBody,
  templateDeleted,
  templateDetail,
  templateList,
  templateSaved,
  templateVersion,
  templateVersions as versionList,
} from './schemas/templates';

const idParams = z.object({ id: slug });
const versionParams = z.object({ id: slug, version: z.coerce.number().int().positive().max(INT4_MAX) });
const partialBody = z
  .object({ kind: z.enum(['partial', 'layout']), source: source(200_000).min(1, 'must not be empty') })
  .strict();
/** The refinement below, in the document's terms. */
const exactlyOneOfCustomerAndSample = { oneOf: [{ required: ['customerId'] }, { required: ['sample'] }] };
const previewBody = z
  .object({
    version: z.number().int().positive().max(INT4_MAX).optional(),
    /** A stored customer, or a sample profile. */
    customerId: z.uuid().optional(),
    sample: sampleProfile.optional(),
    event: z.record(z.string(), z.unknown()).default({}),
    /** Render this locale instead of the customer's. */
    locale: localeTag.optional(),
  })
  .strict()
  .refine((b) => (b.customerId === undefined) !== (b.sample === undefined), {
    message: 'give exactly one of customerId and sample',
  })
  .meta(exactlyOneOfCustomerAndSample);

/** A template being edited: checked and rendered in every locale, saved nowhere. */
const draftPreviewBody = z
  .object({
    template: z
      .unknown()
      .describe('a template body as PUT /v1/templates/:id takes it; its problems come back as `issues`, not as a 400'),
    customerId: z.uuid().optional(),
    sample: sampleProfile.optional(),
    event: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .refine((b) => b.template !== undefined, {
    path: ['template'],
    message: 'required: the template body to check and render',
  })
  .refine((b) => (b.customerId === undefined) !== (b.sample === undefined), {
    message: 'give exactly one of customerId and sample',
  })
  .meta({ ...exactlyOneOfCustomerAndSample, required: ['template'] });

export const templateRoutes: FastifyPluginAsyncZod<{ db: Db }> = async (app, { db }) => {
  const engine = createTemplateEngine();
  const tags = ['templates'];
  const security = adminSecurity;

  const versionsOf = (id: string) =>
    db
      .select({
        version: templateVersions.version,
        defaultLocale: templateVersions.defaultLocale,
        createdAt: templateVersions.createdAt,
      })
      .from(templateVersions)
      .where(eq(templateVersions.templateId, id))
      .orderBy(desc(templateVersions.version));

  app.get(
    '/v1/templates',
    { schema: { tags, security, summary: 'List templates', response: { 200: templateList, ...adminErrors } } },
    async () => ({
      templates: await db.select().from(templates).orderBy(templates.id),
    }),
  );

  app.get(
    '/v1/templates/:id',
    {
      schema: {
        tags,
        security,
        summary: 'A template: its latest version and the list of versions',
        params: idParams,
        response: { 200: templateDetail, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const content = await loadTemplate(db, id);
      if (!content) return reply.code(404).send({ error: 'not_found', message: `template ${id} not found` });
      return { template: content, versions: await versionsOf(id) };
    },
  );

  app.get(
    '/v1/templates/:id/versions',
    {
      schema: {
        tags,
        security,
        summary: 'Versions of a template, newest first',
        params: idParams,
        response: { 200: versionList, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const [template] = await db.select({ id: templates.id }).from(templates).where(eq(templates.id, id));
      if (!template) return reply.code(404).send({ error: 'not_found', message: `template ${id} not found` });
      return { versions: await versionsOf(id) };
    },
  );

  app.get(
    '/v1/templates/:id/versions/:version',
    {
      schema: {
        tags,
        security,
        summary: 'One version of a template',
        params: versionParams,
        response: { 200: templateVersion, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id, version } = request.params;
      const content = await loadTemplate(db, id, version);
      if (!content || content.version === null)
        return reply.code(404).send({ error: 'not_found', message: `template ${id} has no version ${version}` });
      return { template: content };
    },
  );

  const saveSchema = {
    tags,
    security,
    summary: 'Validate and save a new version (created on first save)',
    params: idParams,
    body: templateBody,
    response: { 200: templateSaved, 201: templateSaved.describe('the first version'), ...adminErrors },
  };
  app.put('/v1/templates/:id', { schema: saveSchema }, async (request, reply) => {
    const { id } = request.params;
    const body = request.body;
    const issues = validateTemplate(engine, body, await loadPartials(db));
    if (issues.length) throw new RequestValidationError(issues);
    const saved = await saveTemplateVersion(db, id, body);
    return reply
      .code(saved.created ? 201 : 200)
      .send({ id, version: saved.version, template: (await loadTemplate(db, id))! });
  });

  app.delete(
    '/v1/templates/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a template no published journey sends',
        params: idParams,
        response: { 200: templateDeleted, ...adminErrors, 404: errors[404], 409: errors[409] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // A published journey that sends this template would fail at its next send: refuse.
      const published = await db
        .select({ journeyId: journeyVersions.journeyId, definition: journeyVersions.definition })
        .from(journeyVersions)
        .innerJoin(
          journeys,
          and(eq(journeys.id, journeyVersions.journeyId), eq(journeys.latestVersion, journeyVersions.version)),
        )
        .where(isNotNull(journeys.latestVersion));
      const users = published
        .filter((j) => Object.values(j.definition.steps).some((s) => s.type === 'send' && s.template === id))
        .map((j) => j.journeyId);
      if (users.length)
        return reply
          .code(409)
          .send({ error: 'conflict', message: `template ${id} is used by journeys ${users.join(', ')}` });
      const deleted = await db.delete(templates).where(eq(templates.id, id)).returning({ id: templates.id });
      if (!deleted.length) return reply.code(404).send({ error: 'not_found', message: `template ${id} not found` });
      return { id, deleted: true as const };
    },
  );

  app.get(
    '/v1/template-partials',
    {
      schema: { tags, security, summary: 'List partials and layouts', response: { 200: partialList, ...adminErrors } },
    },
    async () => ({
      partials: await db.select().from(templatePartials).orderBy(templatePartials.id),
    }),
  );

  app.put(
    '/v1/template-partials/:id',
    {
      schema: {
        tags,
        security,
        summary: 'Create or replace a partial ({{> id}}) or layout ({{{body}}})',
        params: idParams,
        body: partialBody,
        response: { 200: partialSaved, 201: partialSaved.describe('the new partial'), ...adminErrors },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const body = request.body;
      // Partials render inside many templates: syntax and unescaped output are checked here, variables where they are used.
      const syntax = engine
        .check(body.source, '$.body.source', {
          variables: { traits: [], event: [] },
          partials: new Set(),
          html: body.kind === 'layout' ? LAYOUT_OUTPUTS : PARTIAL_OUTPUTS,
        })
        .filter((i) => /error at line|^unescaped output/.test(i.message));
      if (body.kind === 'layout' && !/\{\{\{\s*body\s*\}\}\}/.test(body.source))
        syntax.push({ path: '$.body.source', message: 'a layout places the message with {{{body}}}' });
      if (syntax.length) throw new RequestValidationError(syntax);
      const [existing] = await db
        .select({ id: templatePartials.id })
        .from(templatePartials)
        .where(eq(templatePartials.id, id));
      if (existing)
        await db
          .update(templatePartials)
          .set({ ...body, updatedAt: new Date() })
          .where(eq(templatePartials.id, id));
      else await db.insert(templatePartials).values({ id, ...body });
      return reply.code(existing ? 200 : 201).send({ id, ...body });
    },
  );

  /** The customer a preview renders for: a stored one (null when unknown) or the sample. */
  async function previewProfile(body: {
    customerId?: string;
    sample?: z.infer<typeof sampleProfile>;
  }): Promise<{ profile: Parameters<typeof renderContext>[0]; timeZone: string } | null> {
    let timeZone = 'Asia/Shanghai';
    if (body.customerId) {
      const [customer] = await db.select().from(customers).where(eq(customers.id, body.customerId));
      if (!customer) return null;
      if (customer.timeZone && isValidTimeZone(customer.timeZone)) timeZone = customer.timeZone;
      return { profile: customer, timeZone };
    }
    const sample = body.sample!;
    const profile = {
      id: '00000000-0000-0000-0000-000000000000',
      traits: sample.traits,
      tags: sample.tags,
      aiplStage: sample.aiplStage ?? null,
      locale: sample.locale ?? null,
    };
    return { profile, timeZone: sample.timeZone ?? timeZone };
  }
  const previewLinks = { unsubscribe: '#unsubscribe-preview', preferences: '#preferences-preview' };
  const customerNotFound = (id: string | undefined) => ({ error: 'not_found', message: `customer ${id} not found` });

  app.post(
    '/v1/templates/:id/preview',
    {
      schema: {
        tags,
        security,
        summary: 'Render a version for a stored or sample customer',
        params: idParams,
        body: previewBody,
        response: { 200: renderedPreview, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const body = request.body;
      const content = await loadTemplate(db, id, body.version);
      if (!content)
        return reply.code(404).send({
          error: 'not_found',
          message: `template ${id}${body.version ? ` version ${body.version}` : ''} not found`,
        });
      const who = await previewProfile(body);
      if (!who) return reply.code(404).send(customerNotFound(body.customerId));
      const { profile, timeZone } = who;
      try {
        const rendered = engine.render(content, renderContext(profile, timeZone, body.event, previewLinks), {
          requestedLocale: body.locale ?? profile.locale,
          timeZone,
          partials: await loadPartials(db),
        });
        return { templateId: id, version: content.version, ...rendered };
      } catch (error) {
        // Strict mode: the customer lacks a variable the template uses. That is the previewer's input.
        throw new RequestValidationError([
          { path: '$.body', message: `render failed: ${error instanceof Error ? error.message : String(error)}` },
        ]);
      }
    },
  );

  /**
   * The editor's live check: a template body that is being edited is validated as a save would
   * (issues at `$.body.template.…`) and rendered in each of its locales for the customer, and
   * nothing is saved. A template with problems is an answer (200 with `issues`), not a bad request:
   * the console calls this on every pause in typing.
   */
  app.post(
    '/v1/template-previews',
    {
      schema: {
        tags,
        security,
        summary:
          'Check an unsaved template body and render each of its locales for a stored or sample customer (saves nothing)',
        body: draftPreviewBody,
        response: { 200: draftPreviews, ...adminErrors, 404: errors[404] },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const who = await previewProfile(body);
      if (!who) return reply.code(404).send(customerNotFound(body.customerId));
      const parsed = templateBody.safeParse(body.template);
      if (!parsed.success) return { issues: issuesOf(parsed.error, ['$', 'body', 'template']), previews: [] };
      const template = parsed.data;
      const partials = await loadPartials(db);
      const issues = validateTemplate(engine, template, partials, '$.body.template');
      const content: TemplateVersionContent = {
        templateId: 'preview',
        channel: template.channel,
        version: null,
        defaultLocale: template.defaultLocale,
        locales: template.locales,
        layout: template.layout ?? null,
        providerTemplateId: template.providerTemplateId ?? null,
        variables: template.variables,
      };
      const context = renderContext(who.profile, who.timeZone, body.event, previewLinks);
      const previews = Object.keys(template.locales).map((locale) => {
        try {
          return engine.render(content, context, { requestedLocale: locale, timeZone: who.timeZone, partials });
        } catch (error) {
          return { locale, error: `render failed: ${error instanceof Error ? error.message : String(error)}` };
        }
      });
      return { issues, previews };
    },
  );
};
