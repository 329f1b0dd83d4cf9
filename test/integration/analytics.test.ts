/**
 * Analytics against a generated dataset written straight into the tables (seeded, so every run sees
 * the same rows): enrollments with split arms, exits and conversions, the messages ledger, orders and
 * AIPL history. Every expectation is computed here, independently of the SQL, from the same rows.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/app';
import type { JourneySummary, VersionStats } from '../../services/analytics/journeys';
import { aiplHistory, customers, enrollments, journeys, journeyVersions, messages, orders } from '../../drizzle/schema';
import { resentReason } from '../../domain/messaging';
import { define } from '../fixtures/journeys';
import { connectDevServer, createTestDatabase, uniqueTaskQueue } from '../setup/harness';

const ADMIN_KEY = 'analytics-test-admin-key-012345';
const DAY = 86_400_000;
const BASE = Date.parse('2026-03-02T00:00:00Z'); // a Monday

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let temporal: Awaited<ReturnType<typeof connectDevServer>>;
let app: FastifyInstance;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!,
  };
}

const journeyId = 'ana-trial';
const splitV1 = define({
  name: 'Trial follow-up',
  entry: { type: 'api' },
  goals: [{ id: 'bought', event: 'order_completed' }],
  settings: { timeZone: 'UTC', goalWindow: { days: 14 } },
  start: 'welcome',
  steps: {
    welcome: { type: 'send', channel: 'email', template: 't-welcome', next: 'ab' },
    ab: {
      type: 'split',
      arms: [
        { id: 'email', weight: 1, next: 'mail' },
        { id: 'sms', weight: 1, next: 'text' },
        { id: 'control', weight: 1, next: 'wait', holdout: true },
      ],
    },
    mail: { type: 'send', channel: 'email', template: 't-offer', next: 'wait' },
    text: { type: 'send', channel: 'sms', template: 't-offer-sms', next: 'wait' },
    wait: { type: 'wait', duration: { days: 20 }, next: 'done' },
    done: { type: 'exit', reason: 'window-over' },
  },
});
/** Version 2: no split, no goal window (revenue runs to exit, or now while active). */
const plainV2 = define({
  name: 'Trial follow-up v2',
  entry: { type: 'api' },
  start: 'wait',
  steps: {
    wait: { type: 'wait', duration: { days: 20 }, next: 'done' },
    done: { type: 'exit', reason: 'window-over' },
  },
});

interface Seeded {
  id: string;
  version: number;
  customerId: string;
  status: 'active' | 'completed' | 'exited' | 'converted' | 'cancelled';
  currentStep: string | null;
  enteredAt: number;
  exitedAt: number | null;
  exitReason: string | null;
  convertedAt: number | null;
  arm: string | null; // path outcome at `ab`
}
const seeded: Seeded[] = [];
const seededMessages: { enrollmentId: string; channel: string; status: string }[] = [];
/** Every third sent message went out again after an attempt died mid-call (see `resentReason`). */
const resentAt = (i: number, m: { status: string }) => m.status === 'sent' && i % 3 === 0;
const seededOrders: { customerId: string; at: number; cents: number; status: string }[] = [];
const seededAipl: { customerId: string; from: string | null; to: string; at: number }[] = [];
const stageOf = new Map<string, string | null>();

async function seed() {
  const r = prng(20261124);
  const stages = ['awareness', 'interest', 'purchase', 'loyalty'] as const;
  const customerIds: string[] = [];
  for (let i = 0; i < 320; i++) {
    const id = randomUUID();
    customerIds.push(id);
    const stage = r.next() < 0.1 ? null : r.pick(stages);
    stageOf.set(id, stage);
  }
  await db.db.insert(customers).values(customerIds.map((id) => ({ id, aiplStage: stageOf.get(id) ?? null })));
  await db.db
    .insert(journeys)
    .values({ id: journeyId, name: 'Trial follow-up', status: 'published', draft: plainV2, latestVersion: 2 });
  await db.db.insert(journeyVersions).values([
    { journeyId, version: 1, definition: splitV1 },
    { journeyId, version: 2, definition: plainV2 },
  ]);

  for (const [index, customerId] of customerIds.entries()) {
    // 240 customers in v1, 60 in v2, the last 20 only in another journey (must not leak in).
    const version = index < 240 ? 1 : index < 300 ? 2 : 0;
    const enteredAt = BASE + r.int(0, 30) * DAY + r.int(0, 86_399) * 1000;
    const roll = r.next();
    const status: Seeded['status'] =
      roll < 0.25
        ? 'active'
        : roll < 0.45
          ? 'completed'
          : roll < 0.6
            ? 'exited'
            : roll < 0.9
              ? 'converted'
              : 'cancelled';
    // v1: most reach the split (weights differ from the definition on purpose: the SQL must read the path).
    const armRoll = r.next();
    const arm =
      version !== 1 || armRoll < 0.08 ? null : armRoll < 0.4 ? 'email' : armRoll < 0.7 ? 'sms' : 'control:holdout';
    const exitedAt = status === 'active' ? null : enteredAt + r.int(1, 25) * DAY;
    // Conversions mostly inside the 14-day window, some after it (a window changed later, late data).
    const convertedAt =
      status === 'converted'
        ? enteredAt + (r.next() < 0.8 ? r.int(0, 13 * 24) : r.int(14 * 24 + 1, 24 * 24)) * 3_600_000
        : null;
    const exitReason =
      status === 'completed'
        ? 'window-over'
        : status === 'exited'
          ? r.pick(['goal-late:bought', 'exit:unsubscribed'])
          : status === 'converted'
            ? 'goal:bought'
            : status === 'cancelled'
              ? r.pick(['gdpr-request', 'duplicate'])
              : null;
    const currentStep = status === 'active' ? (version === 1 ? r.pick(['wait', 'mail', 'wait']) : 'wait') : null;
    const row: Seeded = {
      id: randomUUID(),
      version,
      customerId,
      status,
      currentStep,
      enteredAt,
      exitedAt,
      exitReason,
      convertedAt,
      arm,
    };
    seeded.push(row);
    // Messages: welcome for everyone in v1, the arm's offer for email/sms arms.
    if (version === 1) {
      seededMessages.push({ enrollmentId: row.id, channel: 'email', status: r.pick(['sent', 'sent', 'skipped']) });
      if (arm === 'email')
        seededMessages.push({ enrollmentId: row.id, channel: 'email', status: r.pick(['sent', 'failed']) });
      if (arm === 'sms')
        seededMessages.push({ enrollmentId: row.id, channel: 'sms', status: r.pick(['sent', 'skipped', 'uncertain']) });
    }
    // Orders from 5 days before entry to 25 days after; some cancelled.
    for (let k = r.int(0, 2); k > 0; k--) {
      seededOrders.push({
        customerId,
        at: enteredAt + r.int(-5 * 24, 25 * 24) * 3_600_000,
        cents: r.int(1, 500) * 100,
        status: r.next() < 0.15 ? 'cancelled' : 'completed',
      });
    }
    // AIPL history: a few moves per customer over the first five weeks.
    let from: string | null = null;
    for (let k = r.int(0, 3); k > 0; k--) {
      const to = r.pick(stages);
      seededAipl.push({ customerId, from, to, at: BASE + r.int(0, 34) * DAY + r.int(0, 86_399) * 1000 });
      from = to;
    }
  }

  await db.db.insert(enrollments).values(
    seeded.map((e) => ({
      id: e.id,
      journeyId: e.version === 0 ? 'ana-other' : journeyId,
      journeyVersion: e.version === 0 ? 1 : e.version,
      customerId: e.customerId,
      enrollmentKey: 'default',
      workflowId: `enrollment/${journeyId}/${e.customerId}/default`,
      status: e.status,
      currentStep: e.currentStep,
      nextWakeAt: null,
      path: [
        { step: 'welcome', at: new Date(e.enteredAt).toISOString(), outcome: 'sent' },
        ...(e.arm ? [{ step: 'ab', at: new Date(e.enteredAt + 1000).toISOString(), outcome: e.arm }] : []),
      ],
      enteredAt: new Date(e.enteredAt),
      exitedAt: e.exitedAt === null ? null : new Date(e.exitedAt),
      exitReason: e.exitReason,
      convertedAt: e.convertedAt === null ? null : new Date(e.convertedAt),
    })),
  );
  await db.db.insert(messages).values(
    seededMessages.map((m, i) => ({
      enrollmentId: m.enrollmentId,
      stepId: `s${i}`,
      occurrence: 1,
      journeyId,
      customerId: seeded.find((e) => e.id === m.enrollmentId)!.customerId,
      channel: m.channel,
      templateId: 't',
      status: m.status as 'sent',
      reason: resentAt(i, m) ? resentReason : null,
    })),
  );
  await db.db.insert(orders).values(
    seededOrders.map((o, i) => ({
      customerId: o.customerId,
      externalId: `o-${i}`,
      source: 'tmall',
      status: o.status,
      totalCents: o.cents,
      orderedAt: new Date(o.at),
    })),
  );
  await db.db.insert(aiplHistory).values(
    seededAipl.map((h) => ({
      customerId: h.customerId,
      fromStage: h.from,
      toStage: h.to,
      at: new Date(h.at),
      source: 'test',
    })),
  );
}

beforeAll(async () => {
  [db, temporal] = await Promise.all([createTestDatabase(), connectDevServer()]);
  app = await buildApp({
    db: db.db,
    temporal: temporal.client,
    taskQueue: uniqueTaskQueue('analytics'),
    adminApiKey: ADMIN_KEY,
    clock: () => new Date(BASE + 60 * DAY),
  });
  await app.ready();
  await seed();
});

afterAll(async () => {
  await app?.close();
  await temporal?.close();
  await db?.close();
});

async function get<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  return { status: response.statusCode, body: response.json<T>() };
}

// ---- independent expectations ----------------------------------------------------------------

const countBy = <T>(xs: T[], key: (x: T) => string) =>
  xs.reduce((m, x) => m.set(key(x), (m.get(key(x)) ?? 0) + 1), new Map<string, number>());
const WINDOW_MS = 14 * DAY;
const convertedInWindow = (e: Seeded, windowMs: number | null) =>
  e.convertedAt !== null && (windowMs === null || e.convertedAt - e.enteredAt <= windowMs);
function revenueOf(e: Seeded, windowMs: number | null): { cents: number; orders: number } {
  const end = windowMs !== null ? e.enteredAt + windowMs : (e.exitedAt ?? Date.now());
  const hits = seededOrders.filter(
    (o) => o.customerId === e.customerId && o.status !== 'cancelled' && o.at >= e.enteredAt && o.at <= end,
  );
  return { cents: hits.reduce((s, o) => s + o.cents, 0), orders: hits.length };
}

/** Wilson bounds in the quadratic-root form (Newcombe 1998, eq. 3), written out independently. */
function wilson(x: number, n: number) {
  const z = 1.959963984540054;
  const p = x / n;
  const root = z * Math.sqrt(z * z + 4 * n * p * (1 - p));
  return { l: (2 * n * p + z * z - root) / (2 * (n + z * z)), u: (2 * n * p + z * z + root) / (2 * (n + z * z)) };
}

describe('journey analytics per version', () => {
  let v1: VersionStats;
  let v2: VersionStats;
  beforeAll(async () => {
    const { status, body } = await get<{ journeyId: string; versions: VersionStats[] }>(
      `/v1/analytics/journeys/${journeyId}`,
    );
    expect(status).toBe(200);
    expect(body.versions.map((v) => v.version)).toEqual([1, 2]);
    [v1, v2] = body.versions as [VersionStats, VersionStats];
  });

  it.each([1, 2])('v%i: entered, active, active by step and exits by reason match the rows', (version) => {
    const stats = version === 1 ? v1 : v2;
    const rows = seeded.filter((e) => e.version === version);
    expect(stats.entered).toBe(rows.length);
    expect(stats.active).toBe(rows.filter((e) => e.status === 'active').length);
    const bySteps = countBy(
      rows.filter((e) => e.status === 'active'),
      (e) => e.currentStep!,
    );
    expect(Object.fromEntries(stats.activeByStep.map((s) => [s.step, s.count]))).toEqual(Object.fromEntries(bySteps));
    const exits = countBy(
      rows.filter((e) => e.status !== 'active'),
      (e) => `${e.status}|${e.exitReason}`,
    );
    expect(Object.fromEntries(stats.exits.map((x) => [`${x.status}|${x.reason}`, x.count]))).toEqual(
      Object.fromEntries(exits),
    );
    expect(stats.exits.reduce((s, x) => s + x.count, 0) + stats.active).toBe(rows.length);
  });

  it('v1: messages by channel and status match the ledger rows', () => {
    const expected = countBy(seededMessages, (m) => `${m.channel}|${m.status}`);
    expect(Object.fromEntries(v1.messages.map((m) => [`${m.channel}|${m.status}`, m.count]))).toEqual(
      Object.fromEntries(expected),
    );
    const resent = countBy(
      seededMessages.filter((m, i) => resentAt(i, m)),
      (m) => m.channel,
    );
    expect(resent.get('email')).toBeGreaterThan(0);
    for (const channel of ['email', 'sms'])
      expect(v1.messages.find((m) => m.channel === channel && m.status === 'sent')?.resent).toBe(resent.get(channel));
    expect(v1.messages.filter((m) => m.status !== 'sent').every((m) => m.resent === 0)).toBe(true);
    expect(v2.messages).toEqual([]);
  });

  it('v1: conversions count only inside the 14-day goal window; revenue is the orders from entry to the end of the window', () => {
    const rows = seeded.filter((e) => e.version === 1);
    const conversions = rows.filter((e) => convertedInWindow(e, WINDOW_MS)).length;
    expect(rows.filter((e) => e.convertedAt !== null).length).toBeGreaterThan(conversions); // some were late
    expect(v1.conversions).toBe(conversions);
    expect(v1.conversionRate).toBeCloseTo(conversions / rows.length, 12);
    const revenue = rows.map((e) => revenueOf(e, WINDOW_MS));
    expect(v1.revenue).toEqual({
      cents: revenue.reduce((s, x) => s + x.cents, 0),
      orders: revenue.reduce((s, x) => s + x.orders, 0),
    });
    expect(v1.goalWindow).toEqual({ days: 14 });
    // The dataset exercises the window: some orders fall before entry or after the window.
    expect(v1.revenue.cents).toBeGreaterThan(0);
    expect(rows.map((e) => revenueOf(e, null).orders).reduce((s, x) => s + x, 0)).toBeGreaterThan(v1.revenue.orders);
  });

  it('v2 (no goal window): every conversion counts; revenue runs to exit, or to now while active', () => {
    const rows = seeded.filter((e) => e.version === 2);
    expect(v2.conversions).toBe(rows.filter((e) => e.convertedAt !== null).length);
    const revenue = rows.map((e) => revenueOf(e, null));
    expect(v2.revenue).toEqual({
      cents: revenue.reduce((s, x) => s + x.cents, 0),
      orders: revenue.reduce((s, x) => s + x.orders, 0),
    });
    expect(v2.splits).toEqual([]);
  });

  it('v1: conversion rate per split arm, uplift against the holdout and its Newcombe interval', () => {
    const rows = seeded.filter((e) => e.version === 1 && e.arm !== null);
    const group = (arm: string) => {
      const members = rows.filter((e) => e.arm === arm);
      return {
        n: members.length,
        x: members.filter((e) => convertedInWindow(e, WINDOW_MS)).length,
        cents: members.reduce((s, e) => s + revenueOf(e, WINDOW_MS).cents, 0),
      };
    };
    const control = group('control:holdout');
    expect(v1.splits).toHaveLength(1);
    const split = v1.splits[0]!;
    expect(split.step).toBe('ab');
    expect(split.holdout).toEqual({ entered: control.n, conversions: control.x, rate: control.x / control.n });
    expect(split.arms.map((a) => [a.arm, a.holdout])).toEqual([
      ['control', true],
      ['email', false],
      ['sms', false],
    ]);
    for (const arm of split.arms) {
      const g = group(arm.holdout ? 'control:holdout' : arm.arm);
      expect({ entered: arm.entered, conversions: arm.conversions, revenueCents: arm.revenueCents }).toEqual({
        entered: g.n,
        conversions: g.x,
        revenueCents: g.cents,
      });
      expect(g.n).toBeGreaterThan(30);
      expect(arm.rate).toBeCloseTo(g.x / g.n, 12);
      if (arm.holdout) {
        expect(arm.uplift).toBeNull();
        continue;
      }
      const p1 = g.x / g.n;
      const p2 = control.x / control.n;
      const a = wilson(g.x, g.n);
      const b = wilson(control.x, control.n);
      expect(arm.uplift).toBeCloseTo(p1 - p2, 12);
      expect(arm.relativeUplift).toBeCloseTo((p1 - p2) / p2, 12);
      expect(arm.upliftInterval!.low).toBeCloseTo(p1 - p2 - Math.sqrt((p1 - a.l) ** 2 + (b.u - p2) ** 2), 10);
      expect(arm.upliftInterval!.high).toBeCloseTo(p1 - p2 + Math.sqrt((a.u - p1) ** 2 + (p2 - b.l) ** 2), 10);
      expect(arm.significant).toBe(arm.upliftInterval!.low > 0 || arm.upliftInterval!.high < 0);
    }
  });

  it('answers one version when asked, 404 for an unknown version or journey', async () => {
    const one = await get<{ versions: VersionStats[] }>(`/v1/analytics/journeys/${journeyId}?version=2`);
    expect(one.status).toBe(200);
    expect(one.body.versions).toEqual([v2]);
    expect((await get(`/v1/analytics/journeys/${journeyId}?version=9`)).status).toBe(404);
    expect((await get('/v1/analytics/journeys/no-such-journey')).status).toBe(404);
  });
});

describe('per-step counts (drawn on the journey graph)', () => {
  it.each([1, 2])(
    'v%i: entered, passed (in the path) and active (current step) per step match the rows',
    async (version) => {
      const { body } = await get<{ versions: VersionStats[] }>(
        `/v1/analytics/journeys/${journeyId}?version=${version}`,
      );
      const rows = seeded.filter((e) => e.version === version);
      const pathOf = (e: Seeded) => ['welcome', ...(e.arm ? ['ab'] : [])];
      const here = (e: Seeded, step: string) => e.status === 'active' && e.currentStep === step;
      const stepIds = [
        ...new Set(
          rows.flatMap((e) => [...pathOf(e), ...(e.status === 'active' && e.currentStep ? [e.currentStep] : [])]),
        ),
      ].sort();
      const expected = stepIds.map((step) => ({
        step,
        entered: rows.filter((e) => pathOf(e).includes(step) || here(e, step)).length,
        passed: rows.filter((e) => pathOf(e).includes(step)).length,
        active: rows.filter((e) => here(e, step)).length,
      }));
      expect(body.versions[0]!.steps).toEqual(expected);
      // The same active numbers as activeByStep, and everyone passed the first step.
      expect(Object.fromEntries(expected.filter((s) => s.active).map((s) => [s.step, s.active]))).toEqual(
        Object.fromEntries(body.versions[0]!.activeByStep.map((s) => [s.step, s.count])),
      );
      expect(expected.find((s) => s.step === 'welcome')).toMatchObject({ entered: rows.length, passed: rows.length });
    },
  );

  it('counts an enrollment once per step even when a loop passed it several times', async () => {
    const loopId = 'ana-loop';
    await db.db
      .insert(journeys)
      .values({ id: loopId, name: 'Loop', status: 'published', draft: plainV2, latestVersion: 1 });
    await db.db.insert(journeyVersions).values({ journeyId: loopId, version: 1, definition: plainV2 });
    const at = new Date(BASE).toISOString();
    await db.db.insert(enrollments).values({
      id: randomUUID(),
      journeyId: loopId,
      journeyVersion: 1,
      customerId: randomUUID(),
      enrollmentKey: 'default',
      workflowId: `enrollment/${loopId}/x/default`,
      status: 'active',
      currentStep: 'wait',
      path: [
        { step: 'wait', at },
        { step: 'check', at, outcome: 'again' },
        { step: 'wait', at },
        { step: 'check', at, outcome: 'again' },
      ],
      enteredAt: new Date(BASE),
    });
    const { body } = await get<{ versions: VersionStats[] }>(`/v1/analytics/journeys/${loopId}`);
    expect(body.versions[0]!.steps).toEqual([
      { step: 'check', entered: 1, passed: 1, active: 0 },
      { step: 'wait', entered: 1, passed: 1, active: 1 },
    ]);
  });
});

describe('headline numbers of every journey (GET /v1/analytics/journeys)', () => {
  const NOW = BASE + 60 * DAY; // the app clock
  const summaryId = 'ana-summary';
  const emptyId = 'ana-empty';
  const windowed = define({
    name: 'Summary',
    entry: { type: 'api' },
    goals: [{ id: 'bought', event: 'order_completed' }],
    settings: { timeZone: 'UTC', goalWindow: { days: 1, hours: 12 } },
    start: 'wait',
    steps: {
      wait: { type: 'wait', duration: { days: 20 }, next: 'done' },
      done: { type: 'exit', reason: 'window-over' },
    },
  });
  const sentAt = [NOW - 1 * DAY, NOW - 7 * DAY + 60_000, NOW - 7 * DAY - 60_000, NOW - 20 * DAY, NOW];
  let summaries: { from: string; to: string; journeys: JourneySummary[] };

  beforeAll(async () => {
    await db.db.insert(journeys).values([
      { id: summaryId, name: 'Summary', status: 'published', draft: windowed, latestVersion: 1 },
      { id: emptyId, name: 'Nobody yet', status: 'draft', draft: windowed, latestVersion: null },
    ]);
    await db.db.insert(journeyVersions).values({ journeyId: summaryId, version: 1, definition: windowed });
    const enteredAt = NOW - 10 * DAY;
    const rows = [
      { status: 'active' as const, convertedAt: null },
      { status: 'converted' as const, convertedAt: enteredAt + 36 * 3_600_000 }, // the window's last instant: counts
      { status: 'converted' as const, convertedAt: enteredAt + 37 * 3_600_000 }, // after the window: does not
      { status: 'completed' as const, convertedAt: null },
    ].map((r, i) => ({
      id: randomUUID(),
      journeyId: summaryId,
      journeyVersion: 1,
      customerId: randomUUID(),
      enrollmentKey: 'default',
      workflowId: `enrollment/${summaryId}/${i}/default`,
      status: r.status,
      currentStep: r.status === 'active' ? 'wait' : null,
      enteredAt: new Date(enteredAt),
      exitedAt: r.status === 'active' ? null : new Date(enteredAt + 2 * DAY),
      convertedAt: r.convertedAt === null ? null : new Date(r.convertedAt),
    }));
    await db.db.insert(enrollments).values(rows);
    const first = rows[0]!;
    await db.db.insert(messages).values([
      ...sentAt.map((at, i) => ({
        enrollmentId: first.id,
        stepId: 'mail',
        occurrence: i + 1,
        journeyId: summaryId,
        customerId: first.customerId,
        channel: 'email',
        templateId: 't',
        status: 'sent' as const,
        sentAt: new Date(at),
      })),
      {
        enrollmentId: first.id,
        stepId: 'mail',
        occurrence: 99,
        journeyId: summaryId,
        customerId: first.customerId,
        channel: 'email',
        templateId: 't',
        status: 'skipped' as const,
        reason: 'quiet-hours',
      },
      {
        enrollmentId: first.id,
        stepId: 'mail',
        occurrence: 98,
        journeyId: summaryId,
        customerId: first.customerId,
        channel: 'sms',
        templateId: 't',
        status: 'failed' as const,
        sentAt: new Date(NOW - DAY),
      },
    ]);
    const { status, body } = await get<typeof summaries>('/v1/analytics/journeys');
    expect(status).toBe(200);
    summaries = body;
  });

  it('lists every journey, with zeros for one nobody entered', () => {
    expect(summaries.journeys.map((j) => j.journeyId)).toEqual([emptyId, 'ana-loop', summaryId, journeyId].sort());
    expect(summaries.journeys.find((j) => j.journeyId === emptyId)).toEqual({
      journeyId: emptyId,
      entered: 0,
      active: 0,
      converted: 0,
      conversionRate: null,
      messagesSent: 0,
    });
    expect({ from: summaries.from, to: summaries.to }).toEqual({
      from: new Date(NOW - 7 * DAY).toISOString(),
      to: new Date(NOW).toISOString(),
    });
  });

  it('counts conversions inside each version’s goal window, and sends in the last 7 days [from, to)', () => {
    expect(summaries.journeys.find((j) => j.journeyId === summaryId)).toEqual({
      journeyId: summaryId,
      entered: 4,
      active: 1,
      converted: 1,
      conversionRate: 0.25,
      messagesSent: 2,
    });
  });

  it('agrees with the per-version analytics of a journey with several versions', async () => {
    const { body } = await get<{ versions: VersionStats[] }>(`/v1/analytics/journeys/${journeyId}`);
    const sum = (f: (v: VersionStats) => number) => body.versions.reduce((s, v) => s + f(v), 0);
    const entered = sum((v) => v.entered);
    const converted = sum((v) => v.conversions);
    expect(summaries.journeys.find((j) => j.journeyId === journeyId)).toEqual({
      journeyId,
      entered,
      active: sum((v) => v.active),
      converted,
      conversionRate: converted / entered,
      messagesSent: 0,
    });
    expect(entered).toBe(seeded.filter((e) => e.version !== 0).length);
  });

  it('takes a longer window with ?days', async () => {
    const { body } = await get<typeof summaries>('/v1/analytics/journeys?days=30');
    expect(body.from).toBe(new Date(NOW - 30 * DAY).toISOString());
    expect(body.journeys.find((j) => j.journeyId === summaryId)?.messagesSent).toBe(4);
  });
});

describe('AIPL funnel', () => {
  it('counts customers per current stage; the default range is the 90 days before now (the app clock)', async () => {
    const { status, body } = await get<{
      from: string;
      to: string;
      stages: { stage: string | null; customers: number }[];
    }>('/v1/analytics/funnel');
    expect(status).toBe(200);
    expect({ from: body.from, to: body.to }).toEqual({
      from: new Date(BASE - 30 * DAY).toISOString(),
      to: new Date(BASE + 60 * DAY).toISOString(),
    });
    const expected = countBy([...stageOf.values()], (s) => String(s));
    expect(Object.fromEntries(body.stages.map((s) => [String(s.stage), s.customers]))).toEqual(
      Object.fromEntries(expected),
    );
  });

  const mondayOf = (ms: number) => {
    const d = new Date(ms);
    const back = (d.getUTCDay() + 6) % 7;
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - back)).toISOString().slice(0, 10);
  };

  it.each([
    ['day', (ms: number) => new Date(ms).toISOString().slice(0, 10)],
    ['week', mondayOf],
  ] as const)('counts transitions per %s within [from, to)', async (interval, periodOf) => {
    const from = BASE + 3 * DAY;
    const to = BASE + 24 * DAY;
    const { status, body } = await get<{
      interval: string;
      transitions: { period: string; from: string | null; to: string; count: number }[];
    }>(
      `/v1/analytics/funnel?interval=${interval}&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
    );
    expect(status).toBe(200);
    expect(body.interval).toBe(interval);
    const inRange = seededAipl.filter((h) => h.at >= from && h.at < to);
    const expected = countBy(inRange, (h) => `${periodOf(h.at)}|${h.from}|${h.to}`);
    expect(Object.fromEntries(body.transitions.map((t) => [`${t.period}|${t.from}|${t.to}`, t.count]))).toEqual(
      Object.fromEntries(expected),
    );
    expect(body.transitions.reduce((s, t) => s + t.count, 0)).toBe(inRange.length);
  });
});

describe('bad input is a 400 naming the JSON path', () => {
  it.each([
    ['/v1/analytics/funnel?interval=month', '$.query.interval'],
    ['/v1/analytics/funnel?from=yesterday', '$.query.from'],
    ['/v1/analytics/funnel?from=2026-03-10&to=2026-03-01', '$.query.from'],
    ['/v1/analytics/journeys/Trial', '$.params.id'],
    [`/v1/analytics/journeys/${journeyId}?version=0`, '$.query.version'],
    [`/v1/analytics/journeys/${journeyId}?version=latest`, '$.query.version'],
    ['/v1/analytics/journeys?days=0', '$.query.days'],
    ['/v1/analytics/journeys?days=week', '$.query.days'],
  ])('GET %s → 400 at %s', async (url, path) => {
    const { status, body } = await get<{ error: string; issues: { path: string }[] }>(url);
    expect(status).toBe(400);
    expect(body.error).toBe('invalid_request');
    expect(body.issues.map((i) => i.path)).toContain(path);
  });
});
