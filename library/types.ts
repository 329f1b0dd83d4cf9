/**
 * The journey library: proven consumer-electronics journeys a brand publishes with one call.
 * Each entry is data — a journey definition plus the message templates it sends (zh-CN and en) —
 * so installing one is "save these templates, save this draft, publish", the same path a marketer's
 * own journey takes (validation, publish-time simulation check).
 */
import type { z } from 'zod';
import type { JourneyDefinitionInput } from '../domain/journey/definition';
import type { TemplateBody } from '../domain/messaging/template-body';

/** What an install knows about the brand's catalog (read from the database at install time). */
export interface InstallContext {
  /** `product_categories`: the decision window (days a typical buyer takes to decide), null where none. */
  categories: { id: string; name: string; decisionWindowDays: number | null }[];
  /** Categories the catalog holds devices of (`products.kind = 'device'`). */
  deviceCategories: string[];
}

/** One journey an install publishes, with the templates it sends. */
export interface PlannedJourney {
  id: string;
  definition: JourneyDefinitionInput;
  templates: Record<string, TemplateBody>;
}

/** A problem with install parameters: `path` relative to the parameters (`decisionWindows.phone`). */
export class InstallParameterError extends Error {
  constructor(readonly issues: { path: (string | number)[]; message: string }[]) {
    super(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
}

export interface LibraryJourney {
  /** Journey id once installed (a slug), e.g. `consumable-refill`. */
  id: string;
  title: { en: string; 'zh-CN': string };
  summary: { en: string; 'zh-CN': string };
  /** The events it enters on and listens to, for the marketer choosing it. */
  events: string[];
  definition: JourneyDefinitionInput;
  /** Message templates the definition's send steps use, keyed by template id; each has `zh-CN` and `en` locales. */
  templates: Record<string, TemplateBody>;
  /**
   * Install parameters (optional; `{}` when none are given). Issues become 400s with JSON paths
   * under `$.body.parameters`.
   */
  parameters?: z.ZodType;
  /**
   * The journeys an install publishes, from the parsed parameters and the catalog (e.g. one journey
   * per product category). Absent: `definition` and `templates`, as journey `id`. May throw an
   * `InstallParameterError` for parameters that do not fit the catalog.
   */
  plan?: (parameters: unknown, context: InstallContext) => PlannedJourney[];
}
