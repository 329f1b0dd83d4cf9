/** The library entries of this branch: valid definitions whose templates exist, pass the save-time checks and render. */
import { describe, expect, it } from 'vitest';
import { validateJourney } from '../../../domain/journey/validate';
import { validateTemplate } from '../../../services/messaging/template-versions';
import { createTemplateEngine, renderContext } from '../../../services/messaging/templates';
import { usesRecommendations } from '../../../services/messaging/recommendations';
import { consumableRefill } from '../../../library/journeys/consumable-refill';
import { maintenanceService } from '../../../library/journeys/maintenance-service';
import { crossCategoryRecommendation } from '../../../library/journeys/cross-category-recommendation';

const entries = [consumableRefill, maintenanceService, crossCategoryRecommendation];
const engine = createTemplateEngine();

describe.each(entries.map((e) => [e.id, e] as const))('library journey %s', (_, entry) => {
  it('is a valid definition that sends only its own templates', () => {
    const result = validateJourney(entry.definition, { knownTemplates: new Set(Object.keys(entry.templates)) });
    expect(result).toMatchObject({ ok: true });
  });

  it('has zh-CN and en content for every template, passing the save-time checks', () => {
    for (const body of Object.values(entry.templates)) {
      expect(Object.keys(body.locales).sort()).toEqual(['en', 'zh-CN']);
      expect(validateTemplate(engine, body, new Map())).toEqual([]);
    }
  });

  it('renders in both locales', () => {
    const recommendations = [
      {
        category: 'gas-stove',
        name: 'Gas stove',
        because: 'range-hood',
        lift: 2,
        confidence: 0.5,
        product: { sku: 'GS', name: 'Stove S1', price: 1299, currency: 'CNY' },
      },
    ];
    for (const [id, body] of Object.entries(entry.templates)) {
      for (const locale of ['zh-CN', 'en']) {
        const context = {
          ...renderContext({ id: 'c', traits: {}, tags: [], aiplStage: null, locale }, 'Asia/Shanghai', {}, {}),
          ...(usesRecommendations(body) ? { recommendations } : {}),
        };
        const rendered = engine.render(
          {
            templateId: id,
            channel: body.channel,
            version: 1,
            defaultLocale: body.defaultLocale,
            locales: body.locales,
            layout: null,
            providerTemplateId: null,
            variables: body.variables,
          },
          context,
          { requestedLocale: locale, timeZone: 'Asia/Shanghai', partials: new Map() },
        );
        expect(rendered.locale).toBe(locale);
        expect(rendered.subject?.length).toBeGreaterThan(0);
        if (usesRecommendations(body)) expect(rendered.text).toContain('Stove S1');
      }
    }
  });
});
