import { describe, it, expect } from 'vitest';
import { validateJourney, type ValidationContext, type ValidationIssue } from '../../../domain/journey/validate';
import { knownEvents, knownSegments, knownTemplates, phoneNurture } from './fixtures';

const REMOVE = Symbol('remove');
type Edit = [path: string, value: unknown];

/** A fresh copy of the phone nurture definition with `edits` applied (dotted paths; numeric segments index arrays). */
function edited(edits: Edit[]): unknown {
  const def: unknown = structuredClone(phoneNurture());
  for (const [path, value] of edits) {
    const segs = path.split('.');
    const last = segs.pop() ?? '';
    let node = def as Record<string, unknown>;
    for (const s of segs) node = node[s] as Record<string, unknown>;
    if (value === REMOVE) delete node[last];
    else node[last] = value;
  }
  return def;
}

function issuesOf(input: unknown, ctx?: ValidationContext): ValidationIssue[] {
  const result = validateJourney(input, ctx);
  if (result.ok) throw new Error('expected the definition to be rejected');
  return result.issues;
}

const fullContext: ValidationContext = { knownEvents, knownTemplates, knownSegments };

interface BrokenCase {
  name: string;
  edits: Edit[];
  ctx?: ValidationContext;
  path: string;
  message: string;
  /** Other issues the same edit rightly causes (e.g. steps it orphans). */
  also?: string[];
}

const phoneIs = { path: 'properties.category', op: 'eq', value: 'phone' };
const amount = (op: string, value?: unknown) => ({
  path: 'properties.amount',
  op,
  ...(value === undefined ? {} : { value }),
});

const broken: BrokenCase[] = [
  // ---- structure (zod) ----
  { name: 'a definition without a name', edits: [['name', REMOVE]], path: '$.name', message: 'required' },
  {
    name: 'an unknown step type',
    edits: [['steps.welcome.type', 'sms']],
    path: '$.steps.welcome.type',
    message: 'unknown type "sms"',
  },
  {
    name: 'a wait with both a duration and an until date',
    edits: [['steps.wait_2d.until', { attribute: 'traits.nextContactAt' }]],
    path: '$.steps.wait_2d',
    message: 'exactly one of duration, until, window',
  },
  {
    name: 'a wait with no mode at all',
    edits: [['steps.wait_2d.duration', REMOVE]],
    path: '$.steps.wait_2d',
    message: 'exactly one of',
  },
  {
    name: 'a negative wait',
    edits: [['steps.wait_2d.duration', { days: -2 }]],
    path: '$.steps.wait_2d.duration',
    message: 'must not be negative',
  },
  {
    name: 'a zero-length wait',
    edits: [['steps.wait_5d.duration', { days: 0, hours: 0 }]],
    path: '$.steps.wait_5d.duration',
    message: 'longer than zero',
  },
  {
    name: 'a fractional number of days',
    edits: [['steps.wait_2d.duration', { days: 1.5 }]],
    path: '$.steps.wait_2d.duration.days',
    message: 'expected int',
  },
  {
    name: 'quiet hours not in HH:mm',
    edits: [['settings.quietHours.start', '9pm']],
    path: '$.settings.quietHours.start',
    message: 'HH:mm',
  },
  {
    name: 'quiet hours ending at 24:00',
    edits: [['settings.quietHours.end', '24:00']],
    path: '$.settings.quietHours.end',
    message: 'HH:mm',
  },
  {
    name: 'a webhook with a malformed URL',
    edits: [['steps.tag_interested', { type: 'webhook', url: 'not a url', next: 'trade_in_sms' }]],
    path: '$.steps.tag_interested.url',
    message: 'Invalid URL',
  },
  {
    name: 'a webhook with an ftp URL',
    edits: [['steps.tag_interested', { type: 'webhook', url: 'ftp://crm.example.com/hook', next: 'trade_in_sms' }]],
    path: '$.steps.tag_interested.url',
    message: 'Invalid URL',
  },
  {
    name: 'an unknown channel',
    edits: [['steps.welcome.channel', 'fax']],
    path: '$.steps.welcome.channel',
    message: 'expected one of "email"|"sms"|"push"|"wechat" (got "fax")',
  },
  {
    name: 'an unknown property on a step',
    edits: [['steps.welcome.priority', 'high']],
    path: '$.steps.welcome.priority',
    message: 'unknown property "priority"',
  },
  {
    name: 'an unknown top-level property',
    edits: [['owner', 'crm-team']],
    path: '$.owner',
    message: 'unknown property "owner"',
  },
  {
    name: 'a condition of an unknown kind',
    edits: [['steps.stage_branch.branches.0.when.0', { kind: 'score', value: 3 }]],
    path: '$.steps.stage_branch.branches[0].when[0].kind',
    message: 'unknown kind "score": expected one of owns, eventCount, attribute',
  },
  {
    name: 'an owns condition with a numeric category',
    edits: [['steps.trade_in_sms.onlyIf.0.category', 3]],
    path: '$.steps.trade_in_sms.onlyIf[0].category',
    message: 'expected string',
  },
  {
    name: 'an attribute condition with an unknown op',
    edits: [['entry.filter.0.op', 'like']],
    path: '$.entry.filter[0].op',
    message: '(got "like")',
  },
  {
    name: 'a step id with a space',
    edits: [['steps.bad id', { type: 'exit' }]],
    path: '$.steps["bad id"]',
    message: 'invalid key',
  },
  {
    name: 'an update that changes nothing',
    edits: [['steps.tag_interested', { type: 'update', next: 'trade_in_sms' }]],
    path: '$.steps.tag_interested',
    message: 'an update needs',
  },
  {
    name: 'a split with a single arm',
    edits: [['steps.offer_split.arms', [{ id: 'all', weight: 1, next: 'wait_7d' }]]],
    path: '$.steps.offer_split.arms',
    message: '>=2',
  },

  // ---- graph ----
  {
    name: 'a split arm pointing at a missing step',
    edits: [['steps.offer_split.arms.1.next', 'nowhere']],
    path: '$.steps.offer_split.arms[1].next',
    message: 'unknown step "nowhere"',
  },
  {
    name: 'a branch else pointing at a missing step',
    edits: [['steps.stage_branch.else', 'gone']],
    path: '$.steps.stage_branch.else',
    message: 'unknown step "gone"',
  },
  {
    name: 'a waitForEvent timeout pointing at a missing step',
    edits: [['steps.watch_click.onTimeout', 'gone']],
    path: '$.steps.watch_click.onTimeout',
    message: 'unknown step "gone"',
  },
  {
    name: 'a start that is not a step',
    edits: [['start', 'begin']],
    path: '$.start',
    message: 'start "begin" is not a step',
  },
  {
    name: 'a step nothing leads to',
    edits: [['steps.orphan', { type: 'exit' }]],
    path: '$.steps.orphan',
    message: 'unreachable',
  },
  {
    name: 'a branch that no longer leads to its steps',
    edits: [['steps.stage_branch.branches.0.next', 'watch_click']],
    path: '$.steps.tag_interested',
    message: 'no path from start "welcome"',
    also: ['$.steps.trade_in_sms'],
  },
  {
    name: 'a loop of branches without a wait',
    edits: [
      ['steps.stage_branch.else', 'recheck'],
      [
        'steps.recheck',
        {
          type: 'branch',
          branches: [
            {
              id: 'again',
              when: [{ kind: 'eventCount', event: 'email_clicked', withinDays: 1, op: 'eq', value: 0 }],
              next: 'stage_branch',
            },
          ],
          else: 'watch_click',
        },
      ],
    ],
    path: '$.steps.recheck.branches[0].next',
    message: 'loop without a wait: "stage_branch" → "recheck" → "stage_branch"',
  },
  {
    name: 'a step that continues to itself',
    edits: [['steps.tag_interested.next', 'tag_interested']],
    path: '$.steps.tag_interested.next',
    message: 'loop without a wait',
    also: ['$.steps.trade_in_sms'],
  },
  {
    name: 'a loop whose only wait is an until date',
    edits: [
      ['steps.stage_branch.else', 'nag'],
      ['steps.nag', { type: 'send', channel: 'email', template: 'phone-welcome', next: 'nag_wait' }],
      ['steps.nag_wait', { type: 'wait', until: { attribute: 'traits.nextContactAt' }, next: 'stage_branch' }],
    ],
    path: '$.steps.nag_wait.next',
    message: 'until/window wait ("nag_wait")',
  },

  // ---- references outside the context ----
  {
    name: 'an unknown template',
    edits: [['steps.coupon_push.template', 'phone-coupon-v2']],
    ctx: fullContext,
    path: '$.steps.coupon_push.template',
    message: 'unknown template "phone-coupon-v2"',
  },
  {
    name: 'an unknown entry event',
    edits: [['entry.event', 'lead_created']],
    ctx: fullContext,
    path: '$.entry.event',
    message: 'unknown event "lead_created"',
  },
  {
    name: 'an unknown goal event',
    edits: [['goals.0.event', 'order_paid']],
    ctx: fullContext,
    path: '$.goals[0].event',
    message: 'unknown event "order_paid"',
  },
  {
    name: 'an unknown awaited event',
    edits: [['steps.watch_click.event', 'email_opened']],
    ctx: fullContext,
    path: '$.steps.watch_click.event',
    message: 'unknown event "email_opened"',
  },
  {
    name: 'an unknown event counted in a condition',
    edits: [
      ['steps.trade_in_sms.onlyIf.1', { kind: 'eventCount', event: 'sms_replied', withinDays: 30, op: 'eq', value: 0 }],
    ],
    ctx: fullContext,
    path: '$.steps.trade_in_sms.onlyIf[1].event',
    message: 'unknown event "sms_replied"',
  },
  {
    name: 'an unknown entry segment',
    edits: [
      ['entry', { type: 'segment', segment: 'vip' }],
      ['goals.0.matchEntry', REMOVE],
      ['concurrencyKey', REMOVE],
    ],
    ctx: fullContext,
    path: '$.entry.segment',
    message: 'unknown segment "vip"',
  },

  // ---- filters and conditions that can never match ----
  {
    name: 'two eq on one path with different values',
    edits: [['entry.filter.1', { path: 'properties.category', op: 'eq', value: 'tv' }]],
    path: '$.entry.filter[1]',
    message: 'never matches together with $.entry.filter[0] (properties.category eq "phone")',
  },
  {
    name: 'gt 5 and lt 3',
    edits: [['goals.0.filter', [amount('gt', 5), amount('lt', 3)]]],
    path: '$.goals[0].filter[1]',
    message: 'never matches together with $.goals[0].filter[0] (properties.amount gt 5)',
  },
  {
    name: 'gt 5 and lte 5',
    edits: [['goals.0.filter', [amount('lte', 5), amount('gt', 5)]]],
    path: '$.goals[0].filter[1]',
    message: 'never matches together with $.goals[0].filter[0]',
  },
  {
    name: 'eq outside a bound',
    edits: [['goals.0.filter', [amount('gte', 3), amount('eq', 2)]]],
    path: '$.goals[0].filter[1]',
    message: 'never matches',
  },
  {
    name: 'ISO date bounds that exclude everything',
    edits: [
      [
        'goals.0.filter',
        [
          { path: 'timestamp', op: 'gte', value: '2024-06-01' },
          { path: 'timestamp', op: 'lt', value: '2024-01-01' },
        ],
      ],
    ],
    path: '$.goals[0].filter[1]',
    message: 'never matches',
  },
  {
    name: 'a number bound and a string bound on one path',
    edits: [['goals.0.filter', [amount('gt', 5), amount('lt', '9')]]],
    path: '$.goals[0].filter[1]',
    message: 'never matches',
  },
  {
    name: 'eq and nin of the same value',
    edits: [['entry.filter.1', { path: 'properties.category', op: 'nin', value: ['phone', 'tablet'] }]],
    path: '$.entry.filter[1]',
    message: 'never matches together with $.entry.filter[0]',
  },
  {
    name: 'two in lists with nothing in common',
    edits: [
      [
        'goals.0.filter',
        [
          { path: 'properties.sku', op: 'in', value: ['A1', 'A2'] },
          { path: 'properties.sku', op: 'in', value: ['B1'] },
        ],
      ],
    ],
    path: '$.goals[0].filter[1]',
    message: 'never matches',
  },
  {
    name: 'exists and notExists on one path',
    edits: [
      [
        'goals.0.filter',
        [
          { path: 'properties.coupon', op: 'exists' },
          { path: 'properties.coupon', op: 'notExists' },
        ],
      ],
    ],
    path: '$.goals[0].filter[1]',
    message: 'never matches',
  },
  {
    name: 'in with an empty list',
    edits: [['entry.filter.1', { path: 'properties.source', op: 'in', value: [] }]],
    path: '$.entry.filter[1].value',
    message: '"in" with an empty list never matches',
  },
  {
    name: 'eq without a value',
    edits: [['entry.filter.0.value', REMOVE]],
    path: '$.entry.filter[0].value',
    message: '"eq" needs a value',
  },
  {
    name: 'contains without a value',
    edits: [['entry.filter.1', { path: 'properties.tags', op: 'contains' }]],
    path: '$.entry.filter[1].value',
    message: '"contains" needs a value',
  },
  {
    name: 'exists with a value',
    edits: [['entry.filter.1', { path: 'properties.source', op: 'exists', value: true }]],
    path: '$.entry.filter[1].value',
    message: '"exists" takes no value',
  },
  {
    name: 'gt with a boolean',
    edits: [['goals.0.filter', [amount('gt', true)]]],
    path: '$.goals[0].filter[0].value',
    message: '"gt" compares numbers or strings, not true',
  },
  {
    name: 'lte with a list',
    edits: [['goals.0.filter', [amount('lte', [1, 2])]]],
    path: '$.goals[0].filter[0].value',
    message: '"lte" compares numbers or strings',
  },
  {
    name: 'in with a single value',
    edits: [['entry.filter.0.op', 'in']],
    path: '$.entry.filter[0].value',
    message: '"in" needs an array of values, not "phone"',
  },
  {
    name: 'eq with a list',
    edits: [['entry.filter.0.value', ['phone', 'tablet']]],
    path: '$.entry.filter[0].value',
    message: 'use "in"',
  },
  {
    name: 'an outcome that contradicts the awaited event filter',
    edits: [['steps.watch_click.outcomes.0.when', [{ path: 'properties.campaign', op: 'eq', value: 'tv-nurture' }]]],
    path: '$.steps.watch_click.outcomes[0].when[0]',
    message: 'never matches together with $.steps.watch_click.filter[0]',
  },
  {
    name: 'a branch needing two AIPL stages at once',
    edits: [['steps.stage_branch.branches.0.when.1', { path: 'aiplStage', op: 'eq', value: 'purchase' }]],
    path: '$.steps.stage_branch.branches[0].when[1]',
    message: 'never matches together with $.steps.stage_branch.branches[0].when[0]',
  },
  {
    name: 'event counts that exclude each other',
    edits: [
      [
        'steps.trade_in_sms.onlyIf',
        [
          { kind: 'eventCount', event: 'email_clicked', withinDays: 7, op: 'gt', value: 3 },
          { kind: 'eventCount', event: 'email_clicked', withinDays: 7, op: 'lt', value: 2 },
        ],
      ],
    ],
    path: '$.steps.trade_in_sms.onlyIf[1]',
    message: 'never matches together with $.steps.trade_in_sms.onlyIf[0]',
  },
  {
    name: 'an event count below zero',
    edits: [
      [
        'steps.trade_in_sms.onlyIf.1',
        { kind: 'eventCount', event: 'email_clicked', withinDays: 7, op: 'lt', value: 0 },
      ],
    ],
    path: '$.steps.trade_in_sms.onlyIf[1].value',
    message: 'never below 0',
  },
  {
    name: 'an AIPL stage that does not exist',
    edits: [['steps.stage_branch.branches.0.when.0.value', 'consideration']],
    path: '$.steps.stage_branch.branches[0].when[0].value',
    message: '"consideration" is not an AIPL stage',
  },
  {
    name: 'a customer condition reading an event property',
    edits: [['steps.stage_branch.branches.0.when.0', phoneIs]],
    path: '$.steps.stage_branch.branches[0].when[0].path',
    message: '"properties.category" reads nothing: customer conditions read traits, tags, aiplStage, timeZone',
  },
  {
    name: 'a filter path through __proto__',
    edits: [['entry.filter.0.path', 'properties.__proto__.polluted']],
    path: '$.entry.filter[0].path',
    message: 'path segment "__proto__" is never read',
  },

  // ---- settings, entry and goals ----
  {
    name: 'an invalid time zone',
    edits: [['settings.timeZone', 'Mars/Olympus_Mons']],
    path: '$.settings.timeZone',
    message: 'unknown time zone "Mars/Olympus_Mons"',
  },
  {
    name: 'quiet hours that start when they end',
    edits: [['settings.quietHours', { start: '22:00', end: '22:00' }]],
    path: '$.settings.quietHours',
    message: 'both "22:00"',
  },
  {
    name: 'matchEntry with an api entry',
    edits: [
      ['entry', { type: 'api' }],
      ['concurrencyKey', REMOVE],
    ],
    path: '$.goals[0].matchEntry',
    message: 'matchEntry compares with the entry event, but a "api" entry has none',
  },
  {
    name: 'a concurrencyKey with a segment entry',
    edits: [
      ['entry', { type: 'segment', segment: 'phone-owners' }],
      ['goals.0.matchEntry', REMOVE],
    ],
    path: '$.concurrencyKey',
    message: 'concurrencyKey reads the entry event',
  },
  {
    name: 'a wait until a date outside traits and entry',
    edits: [['steps.wait_2d', { type: 'wait', until: { attribute: 'warrantyEndsAt' }, next: 'compare_guide' }]],
    path: '$.steps.wait_2d.until.attribute',
    message: '"warrantyEndsAt" reads nothing',
  },

  // ---- duplicates and dead options ----
  {
    name: 'two split arms with one id',
    edits: [['steps.offer_split.arms.1.id', 'coupon']],
    path: '$.steps.offer_split.arms[1].id',
    message: 'duplicate id "coupon" (also at [0])',
  },
  {
    name: 'two goals with one id',
    edits: [['goals.1', { id: 'ordered_phone', event: 'unsubscribed', conversion: false }]],
    path: '$.goals[1].id',
    message: 'duplicate id "ordered_phone"',
  },
  {
    name: 'two outcomes with one id',
    edits: [['steps.watch_click.outcomes.1.id', 'clicked_offer']],
    path: '$.steps.watch_click.outcomes[1].id',
    message: 'duplicate id "clicked_offer"',
  },
  {
    name: 'two branches with one id',
    edits: [
      [
        'steps.stage_branch.branches.1',
        { id: 'interested', when: [{ kind: 'owns', category: 'phone' }], next: 'watch_click' },
      ],
    ],
    path: '$.steps.stage_branch.branches[1].id',
    message: 'duplicate id "interested"',
  },
  {
    name: 'a split whose arms are all holdouts',
    edits: [
      ['steps.offer_split.arms.0.holdout', true],
      ['steps.offer_split.arms.1.holdout', true],
    ],
    path: '$.steps.offer_split.arms',
    message: 'every arm is a holdout',
  },
  {
    name: 'a catch-all outcome before a specific one',
    edits: [
      [
        'steps.watch_click.outcomes',
        [
          { id: 'any', next: 'last_call' },
          { id: 'offer', when: [{ path: 'properties.link', op: 'eq', value: 'offer' }], next: 'last_call' },
        ],
      ],
    ],
    path: '$.steps.watch_click.outcomes[1]',
    message: 'never matches: outcomes[0] has no "when"',
  },
];

describe('validateJourney', () => {
  it('accepts the 41-day phone nurture definition and applies defaults', () => {
    const result = validateJourney(phoneNurture(), fullContext);
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const def = result.definition;
    expect(def.reentry).toEqual({ mode: 'once' });
    expect(def.settings.timeZone).toBe('Asia/Shanghai');
    expect(def.goals[0]?.conversion).toBe(true);
    expect(def.entry.type === 'event' && def.entry.filter?.[0]?.kind).toBe('attribute');
    const welcome = def.steps.welcome;
    expect(welcome?.type === 'send' && welcome.kind).toBe('marketing');
    const totalWaitDays = Object.values(def.steps).reduce(
      (sum, s) =>
        sum + (s.type === 'wait' ? (s.duration?.days ?? 0) : s.type === 'waitForEvent' ? (s.timeout.days ?? 0) : 0),
      0,
    );
    expect(totalWaitDays).toBe(41);
  });

  it('accepts the definition without any context sets', () => {
    expect(validateJourney(phoneNurture()).ok).toBe(true);
  });

  it('accepts a loop that passes through a duration wait', () => {
    const def = edited([
      ['steps.stage_branch.else', 'nag'],
      ['steps.nag', { type: 'send', channel: 'email', template: 'phone-welcome', next: 'nag_wait' }],
      ['steps.nag_wait', { type: 'wait', duration: { days: 1 }, next: 'stage_branch' }],
    ]);
    expect(validateJourney(def, fullContext)).toMatchObject({ ok: true });
  });

  it('accepts a loop that passes through a waitForEvent', () => {
    const def = edited([['steps.watch_click.onTimeout', 'stage_branch']]);
    expect(validateJourney(def)).toMatchObject({ ok: true });
  });

  it('accepts compatible conditions on one path (a range, eq inside it, exists with eq)', () => {
    const def = edited([
      ['goals.0.filter', [amount('gte', 100), amount('lte', 100), amount('eq', 100), amount('exists')]],
    ]);
    expect(validateJourney(def)).toMatchObject({ ok: true });
  });

  it.each(broken)('rejects $name at $path', ({ edits, ctx, path, message, also }) => {
    const issues = issuesOf(edited(edits), ctx);
    expect(issues).toContainEqual({ path, message: expect.stringContaining(message) });
    expect(issues.map((i) => i.path).sort()).toEqual([path, ...(also ?? [])].sort());
  });

  it('rejects input that is not an object at the root path', () => {
    expect(issuesOf(5)).toEqual([{ path: '$', message: 'Invalid input: expected object, received number' }]);
  });

  it('returns every issue at once, sorted by path with array indexes in numeric order', () => {
    const arms = Array.from({ length: 12 }, (_, i) => ({
      id: `arm${i}`,
      weight: 1,
      next: i === 2 || i === 10 ? 'gone' : 'wait_7d',
    }));
    const def = edited([
      ['steps.offer_split.arms', arms],
      ['steps.coupon_push.template', 'nope'],
      ['settings.timeZone', 'Nowhere/Town'],
      ['entry.event', 'lead_made'],
    ]);
    expect(issuesOf(def, fullContext).map((i) => i.path)).toEqual([
      '$.entry.event',
      '$.settings.timeZone',
      '$.steps.coupon_push',
      '$.steps.coupon_push.template',
      '$.steps.offer_split.arms[2].next',
      '$.steps.offer_split.arms[10].next',
    ]);
  });

  it('reports every structural issue before any graph check runs', () => {
    const issues = issuesOf(
      edited([
        ['name', ''],
        ['steps.welcome.next', 'gone'],
        ['steps.done.reason', 7],
      ]),
    );
    expect(issues).toEqual([
      { path: '$.name', message: expect.stringContaining('>=1') },
      { path: '$.steps.done.reason', message: expect.stringContaining('expected string') },
    ]);
  });

  it('quotes step ids that are not identifiers in paths', () => {
    const def = edited([
      ['steps.stage_branch.else', 'follow-up'],
      ['steps.follow-up', { type: 'send', channel: 'sms', template: 'x', next: 'missing' }],
    ]);
    expect(issuesOf(def)).toEqual([
      { path: '$.steps["follow-up"].next', message: 'references unknown step "missing"' },
    ]);
  });

  it('does not report unreachable steps when start itself is missing', () => {
    expect(issuesOf(edited([['start', 'nope']]))).toEqual([{ path: '$.start', message: 'start "nope" is not a step' }]);
  });

  it('names a long loop without a wait by its first and last steps', () => {
    const steps: Record<string, unknown> = {};
    for (let i = 0; i < 12; i++)
      steps[`s${i}`] = { type: 'send', channel: 'email', template: 't', next: i < 11 ? `s${i + 1}` : 's0' };
    expect(issuesOf({ ...phoneNurture(), start: 's0', steps })).toEqual([
      {
        path: '$.steps.s11.next',
        message: expect.stringContaining(
          '"s0" → "s1" → "s2" → "s3" → … 5 more … → "s9" → "s10" → "s11" → "s0" repeats',
        ),
      },
    ]);
  });

  it('bounds the conditions of one list', () => {
    const filter = Array.from({ length: 101 }, (_, i) => ({ path: 'properties.n', op: 'neq', value: i }));
    expect(issuesOf(edited([['entry.filter', filter]]))).toEqual([
      { path: '$.entry.filter', message: expect.stringContaining('at most 100 conditions') },
    ]);
  });
});
