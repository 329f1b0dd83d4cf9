/**
 * Extended-warranty upsell. A device registration (`Device Registered` with `serial`, `sku`,
 * `category` and the warranty end `warranty_ends_at`) enters one enrollment per device (concurrency
 * key: the serial). It sleeps until 30 days before the warranty ends, then in the local morning
 * offers an extended warranty with one of two subject lines (a 50/50 A/B split), and again 7 days
 * before the end. Each send re-checks at send time that the customer still owns a device of the
 * category and bought no extended warranty (`onlyIf`), so a disposal or purchase in between skips it.
 * An `Extended Warranty Purchased` for the serial ends the enrollment as a conversion, a
 * `Product Disposed` of the serial ends it without one.
 *
 * One journey per device category (`warranty-upsell-<category>`): `owns` reads a fixed category,
 * and conditions cannot read the entry event (domain/journey/conditions.ts).
 */
import { z } from 'zod';
import type { Condition, JourneyDefinitionInput } from '../../domain/journey/definition';
import type { TemplateBody } from '../../domain/messaging/template-body';
import { categorySlug, categorySlugMessage, displayName, type Bilingual } from '../categories';
import { InstallParameterError, type InstallContext, type LibraryJourney, type PlannedJourney } from '../types';

const ZONE = 'Asia/Shanghai';
export const WARRANTY_SEND_WINDOW = { start: '10:00', end: '12:00' };
/** The event a shop or after-sales system sends when an extended warranty is sold. */
export const EXTENDED_WARRANTY_EVENT = 'Extended Warranty Purchased';
/** Long enough to cover any warranty (ten years): "no extended warranty bought while this one ran". */
const WARRANTY_LOOKBACK_DAYS = 3650;

export const warrantyUpsellParameters = z
  .object({
    /** Only these device categories (default: every category the catalog holds devices of). */
    categories: z.array(z.string().regex(categorySlug, categorySlugMessage)).min(1).optional(),
    /** Share of customers who see subject line B, in percent. */
    variantBPercent: z.number().int().min(1).max(99).default(50),
  })
  .strict();

const hello = {
  en: 'Hi{{#if customer.firstName}} {{customer.firstName}}{{/if}},',
  'zh-CN': '{{#if customer.firstName}}{{customer.firstName}}，{{/if}}您好！',
};
const endsOn = {
  en: '{{#if event.warranty_ends_at}} on {{date event.warranty_ends_at "long"}}{{/if}}',
  'zh-CN': '{{#if event.warranty_ends_at}}将于 {{date event.warranty_ends_at "long"}} {{/if}}',
};
const signOff = {
  en: '{{#if links.unsubscribe}}\n\nNot interested? Unsubscribe: {{links.unsubscribe}}{{/if}}',
  'zh-CN': '{{#if links.unsubscribe}}\n\n不想再收到此类邮件？退订：{{links.unsubscribe}}{{/if}}',
};

function template(zh: { subject: string; text: string }, en: { subject: string; text: string }): TemplateBody {
  return {
    channel: 'email',
    defaultLocale: 'zh-CN',
    locales: {
      'zh-CN': { subject: zh.subject, text: zh.text + signOff['zh-CN'] },
      en: { subject: en.subject, text: en.text + signOff.en },
    },
    variables: { traits: ['firstName'], event: ['warranty_ends_at'] },
    layout: null,
    providerTemplateId: null,
  };
}

function offerBody(n: Bilingual) {
  return {
    zh: `${hello['zh-CN']}\n\n您的${n['zh-CN']}原厂保修${endsOn['zh-CN']}到期，还剩 30 天。\n\n现在加购延长保修，{{currency 199 "CNY"}} 起即可再享 2 年保障：官方工程师上门、原厂配件、维修零费用，不限次数。保修到期后再出故障，单次维修往往就超过这个价格。\n\n在 App“我的设备”中选择这台${n['zh-CN']}，一分钟即可完成购买。`,
    en: `${hello.en}\n\nThe manufacturer's warranty on your ${n.en} ends${endsOn.en}, 30 days from now.\n\nExtend it now from {{currency 199 "CNY"}} for two more years of cover: certified engineers at your door, genuine parts, and no repair bills, however many visits it takes. A single out-of-warranty repair often costs more than that.\n\nOpen "My devices" in the app, choose this ${n.en}, and you are covered in a minute.`,
  };
}

export function warrantyTemplates(category: string, n: Bilingual): Record<string, TemplateBody> {
  const body = offerBody(n);
  return {
    [`warranty-upsell-${category}-30d-a`]: template(
      { subject: `您的${n['zh-CN']}保修还剩 30 天`, text: body.zh },
      { subject: `30 days left on your ${n.en} warranty`, text: body.en },
    ),
    [`warranty-upsell-${category}-30d-b`]: template(
      { subject: `只需 {{currency 199 "CNY"}}，让${n['zh-CN']}再安心用 2 年`, text: body.zh },
      { subject: `Two more worry-free years for your ${n.en}, from {{currency 199 "CNY"}}`, text: body.en },
    ),
    [`warranty-upsell-${category}-7d`]: template(
      {
        subject: `最后 7 天：${n['zh-CN']}延保即将截止`,
        text: `${hello['zh-CN']}\n\n提醒一下：您的${n['zh-CN']}原厂保修${endsOn['zh-CN']}到期，仅剩 7 天。保修到期后将无法再加购延长保修。\n\n{{currency 199 "CNY"}} 起，再享 2 年官方上门维修与原厂配件保障。在 App“我的设备”中即可办理。`,
      },
      {
        subject: `Last 7 days to extend your ${n.en} warranty`,
        text: `${hello.en}\n\nA quick reminder: the warranty on your ${n.en} ends${endsOn.en}, in 7 days. After that, it can no longer be extended.\n\nFrom {{currency 199 "CNY"}} you get two more years of at-home repairs with genuine parts. It takes a minute in "My devices" in the app.`,
      },
    ),
  };
}

/** The upsell for devices of one category, with its templates. */
export function warrantyJourney(
  category: string,
  options: { variantBPercent?: number; displayName?: Bilingual } = {},
): PlannedJourney {
  const n = options.displayName ?? displayName(category);
  const b = options.variantBPercent ?? 50;
  const stillWorthIt: Condition[] = [
    { kind: 'owns', category },
    { kind: 'eventCount', event: EXTENDED_WARRANTY_EVENT, withinDays: WARRANTY_LOOKBACK_DAYS, op: 'eq', value: 0 },
  ];
  const send = (templateSuffix: string, next: string) =>
    ({
      type: 'send',
      channel: 'email',
      template: `warranty-upsell-${category}-${templateSuffix}`,
      kind: 'marketing',
      topic: 'promotions',
      onlyIf: stillWorthIt,
      next,
    }) as const;
  const definition: JourneyDefinitionInput = {
    name: `Extended warranty: ${n.en}`,
    description: `Offers an extended warranty 30 and 7 days before a registered ${category}'s warranty ends (A/B subject lines on the first offer).`,
    entry: {
      type: 'event',
      event: 'Device Registered',
      filter: [
        { kind: 'attribute', path: 'properties.category', op: 'eq', value: category },
        { kind: 'attribute', path: 'properties.warranty_ends_at', op: 'exists' },
      ],
    },
    reentry: { mode: 'once' },
    concurrencyKey: ['properties.serial'],
    goals: [
      { id: 'extended', event: EXTENDED_WARRANTY_EVENT, matchEntry: ['properties.serial'] },
      { id: 'disposed', event: 'Product Disposed', matchEntry: ['properties.serial'], conversion: false },
    ],
    settings: { timeZone: ZONE, quietHours: { start: '21:00', end: '08:00' } },
    start: 'day-30',
    steps: {
      'day-30': {
        type: 'wait',
        until: { attribute: 'entry.properties.warranty_ends_at', offset: { days: -30 } },
        next: 'morning-30',
      },
      'morning-30': { type: 'wait', window: WARRANTY_SEND_WINDOW, next: 'subject-test' },
      'subject-test': {
        type: 'split',
        arms: [
          { id: 'subject-a', weight: 100 - b, next: 'offer-30-a' },
          { id: 'subject-b', weight: b, next: 'offer-30-b' },
        ],
      },
      'offer-30-a': send('30d-a', 'day-7'),
      'offer-30-b': send('30d-b', 'day-7'),
      'day-7': {
        type: 'wait',
        until: { attribute: 'entry.properties.warranty_ends_at', offset: { days: -7 } },
        next: 'morning-7',
      },
      'morning-7': { type: 'wait', window: WARRANTY_SEND_WINDOW, next: 'offer-7' },
      'offer-7': send('7d', 'done'),
      done: { type: 'exit', reason: 'offer-window-over' },
    },
  };
  return { id: `warranty-upsell-${category}`, definition, templates: warrantyTemplates(category, n) };
}

function plan(raw: unknown, context: InstallContext): PlannedJourney[] {
  const parameters = warrantyUpsellParameters.parse(raw ?? {});
  const names = new Map(context.categories.map((c) => [c.id, c.name]));
  const chosen = parameters.categories ?? context.deviceCategories.filter((c) => categorySlug.test(c)).sort();
  if (chosen.length === 0)
    throw new InstallParameterError([
      { path: ['categories'], message: 'the catalog has no device categories: give categories, e.g. ["fridge"]' },
    ]);
  return chosen.map((category) =>
    warrantyJourney(category, {
      variantBPercent: parameters.variantBPercent,
      displayName: displayName(category, names.get(category)),
    }),
  );
}

const fridge = warrantyJourney('fridge');

export const warrantyUpsell: LibraryJourney = {
  id: 'warranty-upsell',
  title: { en: 'Extended-warranty upsell', 'zh-CN': '延保加购' },
  summary: {
    en: 'For each registered device, an extended-warranty offer 30 days before its warranty ends (two subject lines, A/B) and a last call 7 days before, each re-checked at send time: skipped when the device was disposed or a warranty already bought. One journey per device category.',
    'zh-CN':
      '为每台已登记的设备，在原厂保修到期前 30 天推送延保优惠（两种标题 A/B 测试），到期前 7 天再做最后提醒；每次发送前重新核对：设备已处置或已购延保则跳过。按设备品类各生成一条旅程。',
  },
  events: ['Device Registered', EXTENDED_WARRANTY_EVENT, 'Product Disposed'],
  definition: fridge.definition,
  templates: fridge.templates,
  parameters: warrantyUpsellParameters,
  plan,
};
