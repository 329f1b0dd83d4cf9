/** The body a template version is saved as: channel, locales with their parts, layout, declared variables. */
import { z } from 'zod';
import { channels } from '../journey/definition';

export const slug = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'letters, digits, "-" or "_" (max 64)');
export const localeTag = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a BCP 47 tag such as en or zh-CN');
export const source = (max: number) => z.string().max(max, `at most ${max} characters`);
const partsSchema = z
  .object({
    subject: source(998).min(1).optional(),
    text: source(100_000).min(1, 'must not be empty'),
    html: source(500_000).min(1).optional(),
    fields: z
      .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'a field name (letters, digits, _)'), source(2_000))
      .optional(),
  })
  .strict();
const fieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'a property name (letters, digits, _)');

export const templateBody = z
  .object({
    channel: z.enum(channels),
    defaultLocale: localeTag,
    locales: z
      .record(localeTag, partsSchema)
      .refine((l) => Object.keys(l).length > 0, 'give at least one locale')
      .meta({ minProperties: 1 }),
    layout: slug.nullish(),
    providerTemplateId: z.string().min(1).max(128).nullish(),
    /** Traits and event properties the template may use (checked at save time). */
    variables: z
      .object({ traits: z.array(fieldName).default([]), event: z.array(fieldName).default([]) })
      .strict()
      .default({ traits: [], event: [] }),
  })
  .strict();
export type TemplateBody = z.infer<typeof templateBody>;
