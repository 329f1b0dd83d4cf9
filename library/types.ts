/**
 * The journey library: proven consumer-electronics journeys a brand publishes with one call.
 * Each entry is data — a journey definition plus the message templates it sends (zh-CN and en) —
 * so installing one is "save these templates, save this draft, publish", the same path a marketer's
 * own journey takes (validation, publish-time simulation check).
 */
import type { JourneyDefinitionInput } from '../domain/journey/definition';
import type { TemplateBody } from '../api/templates';

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
}
