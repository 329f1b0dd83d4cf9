import { describe, expect, it } from 'vitest';
import {
  capCountSince,
  decideSend,
  type SendDecision,
  type SendDecisionFacts,
  type SendDecisionRequest,
} from '../../../domain/messaging';

const NEW_YORK = 'America/New_York';
const night = { start: '21:00', end: '08:00' };

const marketing: SendDecisionRequest = {
  channel: 'email',
  kind: 'marketing',
  topic: 'promotions',
  brandTimeZone: 'Europe/Berlin',
  quietHours: night,
};
const transactional: SendDecisionRequest = { ...marketing, kind: 'transactional', topic: undefined };

function facts(overrides: Partial<SendDecisionFacts> = {}): SendDecisionFacts {
  return {
    customer: { timeZone: NEW_YORK, consent: { channels: { email: true }, topics: {} } },
    address: 'ann@example.com',
    suppressedReason: null,
    conditionsHold: true,
    ...overrides,
  };
}

/** Noon in New York on an ordinary day: outside quiet hours. */
const NOON = new Date('2027-06-15T16:00:00Z');
const send: SendDecision = { kind: 'send' };
const skip = (reason: string): SendDecision => ({ kind: 'skip', reason });

describe('decideSend: the guardrails in order', () => {
  it('sends a consented marketing message at noon', () => {
    expect(decideSend(facts(), marketing, NOON)).toEqual(send);
  });

  it('skips a deleted customer, before anything else', () => {
    expect(decideSend(facts({ customer: null, address: null }), marketing, NOON)).toEqual(skip('customer-deleted'));
  });

  it('needs consent given for marketing; refuses transactional only on an explicit no', () => {
    const never = facts({ customer: { timeZone: NEW_YORK, consent: { channels: {}, topics: {} } } });
    const refused = facts({ customer: { timeZone: NEW_YORK, consent: { channels: { email: false }, topics: {} } } });
    expect(decideSend(never, marketing, NOON)).toEqual(skip('no-consent'));
    expect(decideSend(never, transactional, NOON)).toEqual(send);
    expect(decideSend(refused, transactional, NOON)).toEqual(skip('no-consent'));
  });

  it('skips marketing on an unsubscribed topic, not transactional', () => {
    const off = facts({
      customer: { timeZone: NEW_YORK, consent: { channels: { email: true }, topics: { promotions: false } } },
    });
    expect(decideSend(off, marketing, NOON)).toEqual(skip('unsubscribed-topic'));
    expect(decideSend(off, { ...transactional, topic: 'promotions' }, NOON)).toEqual(send);
  });

  it('skips without an address, and a suppressed address for transactional messages too', () => {
    expect(decideSend(facts({ address: null }), marketing, NOON)).toEqual(skip('no-address'));
    const bounced = facts({ suppressedReason: 'hard-bounce' });
    expect(decideSend(bounced, marketing, NOON)).toEqual(skip('suppressed:hard-bounce'));
    expect(decideSend(bounced, transactional, NOON)).toEqual(skip('suppressed:hard-bounce'));
  });

  it('skips when onlyIf no longer holds', () => {
    expect(decideSend(facts({ conditionsHold: false }), transactional, NOON)).toEqual(skip('condition-failed'));
  });

  it('a skip outranks a deferral: no consent at 23:00 is a skip, not a wait', () => {
    const never = facts({ customer: { timeZone: NEW_YORK, consent: { channels: {}, topics: {} } } });
    expect(decideSend(never, marketing, new Date('2027-06-16T03:00:00Z'))).toEqual(skip('no-consent'));
  });
});

describe('decideSend: quiet hours and do-not-disturb dates on the customer’s clock (DST)', () => {
  it('defers 01:30 EST on the spring-forward night to 08:00 EDT (12:00Z)', () => {
    expect(decideSend(facts(), marketing, new Date('2027-03-14T06:30:00Z'))).toEqual({
      kind: 'defer',
      until: new Date('2027-03-14T12:00:00Z'),
      reason: 'quiet-hours',
    });
  });

  it('defers the first 01:30 of the fall-back night to 08:00 EST (13:00Z)', () => {
    expect(decideSend(facts(), marketing, new Date('2027-11-07T05:30:00Z'))).toEqual({
      kind: 'defer',
      until: new Date('2027-11-07T13:00:00Z'),
      reason: 'quiet-hours',
    });
  });

  it('defers a do-not-disturb date (the spring-forward day itself) past its end and the quiet night after it', () => {
    // Noon EDT on 2027-03-14, a DND date: its midnight is inside quiet hours, so 08:00 EDT on the 15th.
    expect(decideSend(facts({ doNotDisturb: ['03-14'] }), marketing, new Date('2027-03-14T16:00:00Z'))).toEqual({
      kind: 'defer',
      until: new Date('2027-03-15T12:00:00Z'),
      reason: 'do-not-disturb',
    });
  });

  it('reads the date in the customer’s zone: 2027-03-14 23:30Z is still the 14th in New York, already the 15th in Berlin', () => {
    const dnd = facts({ doNotDisturb: ['2027-03-14'] });
    const now = new Date('2027-03-14T23:30:00Z'); // 19:30 EDT on the 14th
    expect(decideSend(dnd, { ...marketing, quietHours: undefined }, now)).toEqual({
      kind: 'defer',
      until: new Date('2027-03-15T04:00:00Z'),
      reason: 'do-not-disturb',
    });
    const berlin = facts({
      doNotDisturb: ['2027-03-14'],
      customer: { timeZone: null, consent: { channels: { email: true }, topics: {} } },
    });
    expect(decideSend(berlin, { ...marketing, quietHours: undefined }, now)).toEqual(send); // 00:30 on the 15th in Berlin
  });

  it('sends transactional messages in quiet hours and on do-not-disturb dates', () => {
    expect(decideSend(facts({ doNotDisturb: ['03-14'] }), transactional, new Date('2027-03-14T06:30:00Z'))).toEqual(
      send,
    );
  });
});

describe('decideSend: frequency caps', () => {
  const caps = { all: { day: 2 } };
  const now = new Date('2027-03-14T16:00:00Z'); // noon EDT on the spring-forward day

  it('counts from local midnight of a 23-hour day (05:00Z, still EST then)', () => {
    expect(capCountSince(facts({ caps }), marketing, now)).toEqual(new Date('2027-03-14T05:00:00Z'));
    expect(capCountSince(facts({ caps }), transactional, now)).toBeNull();
    expect(capCountSince(facts({ caps: { sms: { day: 1 } } }), marketing, now)).toBeNull();
  });

  it('skips when the day’s cap is taken, counting only sends since local midnight', () => {
    const counted = [
      { at: new Date('2027-03-14T04:30:00Z'), channel: 'sms' }, // 23:30 on the 13th
      { at: new Date('2027-03-14T05:30:00Z'), channel: 'sms' },
    ];
    expect(decideSend(facts({ caps, counted }), marketing, now)).toEqual(send);
    const full = [...counted, { at: new Date('2027-03-14T14:00:00Z'), channel: 'email' }];
    expect(decideSend(facts({ caps, counted: full }), marketing, now)).toEqual(skip('frequency-cap:all/day'));
  });

  it('does not check caps before the sends are counted, nor for transactional messages', () => {
    const full = [1, 2, 3].map((h) => ({ at: new Date(`2027-03-14T1${h}:00:00Z`), channel: 'email' }));
    expect(decideSend(facts({ caps }), marketing, now)).toEqual(send);
    expect(decideSend(facts({ caps, counted: full }), transactional, now)).toEqual(send);
  });
});
