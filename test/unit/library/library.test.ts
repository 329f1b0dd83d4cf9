/** The library's entries: every planned journey and template passes the same validators a marketer's would. */
import { describe, expect, it } from 'vitest';
import { createTemplateEngine } from '../../../services/messaging/templates';
import { validateTemplate } from '../../../services/messaging/template-versions';
import { validateJourney } from '../../../domain/journey/validate';
import { library, planInstall, InstallParameterError, type InstallContext } from '../../../library';
import { nurtureJourney, touchDays } from '../../../library/journeys/lead-nurture';
import { journeyDefinitionSchema } from '../../../domain/journey/definition';
import { dateFromAttribute, decisionWindowEnd, spreadTouches } from '../../../domain/time';
import { demoCategories, demoProducts } from '../../../demo/generator';

const context: InstallContext = {
  categories: demoCategories.map((c) => ({ id: c.id, name: c.name, decisionWindowDays: c.decisionWindowDays })),
  deviceCategories: [...new Set(demoProducts.filter((p) => p.kind === 'device').map((p) => p.category))],
};
const engine = createTemplateEngine();

describe('journey library', () => {
  for (const entry of library) {
    it(`${entry.id}: every planned journey validates and sends only templates it brings, in zh-CN and en`, () => {
      const planned = planInstall(entry, entry.parameters?.parse({}) ?? {}, context);
      expect(planned.length).toBeGreaterThan(0);
      for (const journey of [...planned, { id: entry.id, definition: entry.definition, templates: entry.templates }]) {
        const result = validateJourney(journey.definition, { knownTemplates: new Set(Object.keys(journey.templates)) });
        expect(result.ok ? [] : result.issues, journey.id).toEqual([]);
        for (const [id, body] of Object.entries(journey.templates)) {
          expect(Object.keys(body.locales).sort(), id).toEqual(['en', 'zh-CN']);
          expect(validateTemplate(engine, body, new Map()), id).toEqual([]);
        }
      }
      expect(entry.title.en && entry.title['zh-CN'] && entry.summary.en && entry.summary['zh-CN']).toBeTruthy();
    });
  }

  it('lead nurture: one journey per category with a decision window, touch days from spreadTouches', () => {
    const entry = library.find((e) => e.id === 'lead-nurture')!;
    const planned = planInstall(entry, entry.parameters!.parse({}), context);
    expect(planned.map((p) => p.id)).toEqual([
      'lead-nurture-air-conditioner',
      'lead-nurture-earbuds',
      'lead-nurture-fridge',
      'lead-nurture-phone',
      'lead-nurture-range-hood',
      'lead-nurture-tv',
      'lead-nurture-vacuum',
      'lead-nurture-washer',
      'lead-nurture-watch',
      'lead-nurture-water-purifier',
    ]);
    expect(touchDays(41)).toEqual([10, 21, 31]);
    expect(touchDays(25)).toEqual([6, 13, 19]);
    expect(touchDays(3)).toEqual([1, 2]);
    expect(touchDays(2)).toEqual([1]);
  });

  it('lead nurture: an install table overrides the catalog; an unknown category is a parameter error', () => {
    const entry = library.find((e) => e.id === 'lead-nurture')!;
    const planned = planInstall(
      entry,
      entry.parameters!.parse({ decisionWindows: { phone: 30, drone: 12 }, categories: ['phone', 'drone'] }),
      context,
    );
    expect(planned.map((p) => [p.id, p.definition.settings?.goalWindow])).toEqual([
      ['lead-nurture-phone', { days: 30 }],
      ['lead-nurture-drone', { days: 12 }],
    ]);
    expect(() => planInstall(entry, entry.parameters!.parse({ categories: ['kettle'] }), context)).toThrow(
      InstallParameterError,
    );
    expect(entry.parameters!.safeParse({ decisionWindows: { phone: 1 } }).success).toBe(false);
  });

  it('lead nurture: the dated waits are exactly spreadTouches and decisionWindowEnd from the entry instant, across DST', () => {
    // Europe/Berlin leaves summer time on 2026-10-25: calendar days, not 24-hour blocks.
    const zone = 'Europe/Berlin';
    const entered = new Date('2026-10-10T13:00:00Z');
    const definition = journeyDefinitionSchema.parse({
      ...nurtureJourney('phone', 41).definition,
      settings: { timeZone: zone },
    });
    const at = (stepId: string) => {
      const step = definition.steps[stepId];
      if (step?.type !== 'wait' || !step.until) throw new Error(`${stepId} is not a wait.until`);
      expect(step.until.attribute).toBe('entry.timestamp');
      return dateFromAttribute(entered.toISOString(), step.until.offset, zone);
    };
    expect(['touch-1-day', 'touch-2-day', 'touch-3-day'].map(at)).toEqual(spreadTouches(entered, 41, 3, zone));
    expect(at('window-end')).toEqual(decisionWindowEnd(entered, 41, zone));
  });
});
