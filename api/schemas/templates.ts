/** Message templates and partials (api/templates.ts): the body a save takes, and every answer. */
import { z } from 'zod';
import { channels } from '../../domain/journey/definition';
import { isValidTimeZone } from '../../domain/time';
import { issue, timestamp } from './common';

// The body a save takes is the domain's (library/ and services/ validate it too); answers are below.
export { localeTag, slug, source, templateBody, type TemplateBody } from '../../domain/messaging/template-body';
import { localeTag, type templateBody } from '../../domain/messaging/template-body';

/** A template body as a client writes it (defaults not applied yet). */
export type TemplateBodyInput = z.input<typeof templateBody>;

/** A made-up customer to render a preview for. */
export const sampleProfile = z
  .object({
    traits: z.record(z.string(), z.unknown()).default({}),
    locale: localeTag.nullish(),
    timeZone: z.string().refine(isValidTimeZone, 'an IANA time zone').optional(),
    tags: z.array(z.string()).default([]),
    aiplStage: z.string().nullish(),
  })
  .strict();
/** Whom a preview renders for: a stored customer or a sample (exactly one). */
export type PreviewCustomer = { customerId?: string; sample?: z.input<typeof sampleProfile> };

const parts = z.strictObject({
  subject: z.string().optional(),
  text: z.string(),
  html: z.string().optional(),
  fields: z.record(z.string(), z.string()).optional(),
});

export const templateRow = z.strictObject({
  id: z.string(),
  channel: z.enum(channels),
  subject: z.string().nullable().describe('the default locale of the latest version'),
  text: z.string(),
  html: z.string().nullable(),
  latestVersion: z.number().int().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type TemplateRow = z.input<typeof templateRow>;

export const templateContent = z.strictObject({
  templateId: z.string(),
  channel: z.enum(channels),
  version: z.number().int().nullable().describe('null for a template saved before versioning'),
  defaultLocale: z.string(),
  locales: z.record(z.string(), parts),
  layout: z.string().nullable(),
  providerTemplateId: z.string().nullable(),
  variables: z.strictObject({ traits: z.array(z.string()), event: z.array(z.string()) }),
});
export type TemplateContent = z.input<typeof templateContent>;

export const templateVersionRow = z.strictObject({
  version: z.number().int(),
  defaultLocale: z.string(),
  createdAt: timestamp,
});

export const templateList = z.strictObject({ templates: z.array(templateRow) }).describe('every template, by id');
export const templateDetail = z
  .strictObject({ template: templateContent, versions: z.array(templateVersionRow) })
  .describe('the latest version and the list of versions, newest first');
export type TemplateDetail = z.input<typeof templateDetail>;
export const templateVersions = z
  .strictObject({ versions: z.array(templateVersionRow) })
  .describe('versions, newest first');
export const templateVersion = z.strictObject({ template: templateContent }).describe('the version');
export const templateSaved = z
  .strictObject({ id: z.string(), version: z.number().int(), template: templateContent })
  .describe('the saved version');
export type TemplateSaved = z.input<typeof templateSaved>;
export const templateDeleted = z.strictObject({ id: z.string(), deleted: z.literal(true) }).describe('deleted');

export const partialKind = z.enum(['partial', 'layout']);
export const partial = z.strictObject({
  id: z.string(),
  kind: partialKind,
  source: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export const partialList = z.strictObject({ partials: z.array(partial) }).describe('partials and layouts, by id');
export const partialSaved = z
  .strictObject({ id: z.string(), kind: partialKind, source: z.string() })
  .describe('the saved partial');

/** One locale rendered. */
export const renderedParts = z.strictObject({
  locale: z.string(),
  subject: z.string().optional(),
  text: z.string(),
  html: z.string().optional(),
  fields: z.record(z.string(), z.string()).optional(),
});
export type RenderedParts = z.input<typeof renderedParts>;

export const renderedPreview = renderedParts
  .extend({ templateId: z.string(), version: z.number().int().nullable() })
  .describe('the rendered message');
export type RenderedPreview = z.input<typeof renderedPreview>;

/** One locale of a live preview: rendered, or why it could not be. */
export const draftPreview = z.union([renderedParts, z.strictObject({ locale: z.string(), error: z.string() })]);
export type DraftPreview = z.input<typeof draftPreview>;

export const draftPreviews = z
  .strictObject({ issues: z.array(issue), previews: z.array(draftPreview) })
  .describe('the problems of the body (paths under `$.body.template`), and each locale rendered');
export type DraftPreviews = z.input<typeof draftPreviews>;
export type TemplateList = z.input<typeof templateList>;
export type TemplateParts = z.input<typeof parts>;
export type Channel = (typeof channels)[number];
