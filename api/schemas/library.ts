/** The journey library (api/library.ts). */
import { z } from 'zod';
import { publishCheck } from './journeys';

const localized = z.strictObject({ en: z.string(), 'zh-CN': z.string() });

export const libraryEntry = z.strictObject({
  id: z.string(),
  title: localized,
  summary: localized,
  events: z.array(z.string()).describe('the events it enters on and listens to'),
  templates: z.array(z.string()),
  parameters: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe('JSON Schema of its install parameters; null when it takes none'),
});
export type LibraryEntry = z.input<typeof libraryEntry>;

export const libraryListing = z.strictObject({ library: z.array(libraryEntry) }).describe('the journey library');
export type LibraryListing = z.input<typeof libraryListing>;

export const libraryInstall = z
  .strictObject({
    id: z.string(),
    journeys: z.array(
      z.strictObject({
        id: z.string(),
        version: z.number().int(),
        published: z.boolean().describe('false: the published version was already this definition'),
        skipped: z
          .string()
          .optional()
          .describe('why the journey was left as it is instead of installed (e.g. archived: unarchive it first)'),
        check: publishCheck.optional(),
      }),
    ),
    templates: z.array(
      z.strictObject({
        id: z.string(),
        version: z.number().int(),
        saved: z.boolean().describe('false: the latest version was already this body'),
      }),
    ),
  })
  .describe('what the install published and saved');
export type LibraryInstall = z.input<typeof libraryInstall>;
