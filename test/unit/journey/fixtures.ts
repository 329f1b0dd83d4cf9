/** A realistic definition used across the journey unit tests; each test clones it before changing it. */
import type { JourneyDefinitionInput } from '../../../domain/journey/definition';

/**
 * 41 days of phone nurture after a phone lead: welcome, comparison guide, a coupon split with a holdout,
 * an AIPL-stage branch, a wait for a click, a last call, exit. Waits on the longest path: 2+5+7+13+14 = 41 days.
 */
export function phoneNurture(): JourneyDefinitionInput {
  return {
    name: 'Phone nurture (41 days)',
    description: 'Leads interested in phones, until they order one.',
    entry: {
      type: 'event',
      event: 'lead_captured',
      filter: [{ path: 'properties.category', op: 'eq', value: 'phone' }],
    },
    concurrencyKey: ['properties.category'],
    goals: [{ id: 'ordered_phone', event: 'order_completed', matchEntry: ['properties.category'] }],
    settings: { quietHours: { start: '21:00', end: '08:00' }, goalWindow: { days: 41 } },
    start: 'welcome',
    steps: {
      welcome: { type: 'send', channel: 'email', template: 'phone-welcome', next: 'wait_2d' },
      wait_2d: { type: 'wait', duration: { days: 2 }, next: 'compare_guide' },
      compare_guide: { type: 'send', channel: 'email', template: 'phone-compare-guide', next: 'wait_5d' },
      wait_5d: { type: 'wait', duration: { days: 5 }, next: 'offer_split' },
      offer_split: {
        type: 'split',
        arms: [
          { id: 'coupon', weight: 45, next: 'coupon_push' },
          { id: 'content', weight: 45, next: 'wait_7d' },
          { id: 'holdout', weight: 10, next: 'wait_7d', holdout: true },
        ],
      },
      coupon_push: { type: 'send', channel: 'push', template: 'phone-coupon', next: 'wait_7d' },
      wait_7d: { type: 'wait', duration: { days: 7 }, next: 'stage_branch' },
      stage_branch: {
        type: 'branch',
        branches: [
          { id: 'interested', when: [{ path: 'aiplStage', op: 'eq', value: 'interest' }], next: 'tag_interested' },
        ],
        else: 'watch_click',
      },
      tag_interested: { type: 'update', addTags: ['phone-interested'], next: 'trade_in_sms' },
      trade_in_sms: {
        type: 'send',
        channel: 'sms',
        template: 'phone-trade-in',
        onlyIf: [{ kind: 'owns', category: 'phone' }],
        next: 'watch_click',
      },
      watch_click: {
        type: 'waitForEvent',
        event: 'email_clicked',
        filter: [{ path: 'properties.campaign', op: 'eq', value: 'phone-nurture' }],
        timeout: { days: 13 },
        outcomes: [
          { id: 'clicked_offer', when: [{ path: 'properties.link', op: 'eq', value: 'offer' }], next: 'last_call' },
          { id: 'clicked_other', next: 'last_call' },
        ],
        onTimeout: 'last_call',
      },
      last_call: { type: 'send', channel: 'email', template: 'phone-last-call', next: 'wait_14d' },
      wait_14d: { type: 'wait', duration: { days: 14 }, next: 'done' },
      done: { type: 'exit', reason: 'nurture-complete' },
    },
  };
}

export const knownEvents: ReadonlySet<string> = new Set(['lead_captured', 'order_completed', 'email_clicked']);
export const knownTemplates: ReadonlySet<string> = new Set([
  'phone-welcome',
  'phone-compare-guide',
  'phone-coupon',
  'phone-trade-in',
  'phone-last-call',
]);
export const knownSegments: ReadonlySet<string> = new Set(['phone-owners']);
