/**
 * The journey definition language: what a marketer writes (JSON, or YAML where files are read).
 * Pure data + zod schema; the workflow interprets a frozen copy of it (see workflows/enrollment).
 * Structural checks live here; graph checks (dangling refs, loops, reachability) in validate.ts.
 */
import { z } from 'zod';

const id = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/i, 'use letters, digits, "-" or "_" (max 64)');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected "HH:mm" (24h)');

export const durationSchema = z
  .object({
    days: z.number().int().optional(),
    hours: z.number().int().optional(),
    minutes: z.number().int().optional(),
    seconds: z.number().int().optional(),
  })
  .strict();
export type JourneyDuration = z.infer<typeof durationSchema>;

/** A duration longer than zero, no unit negative, at least one unit given (waits, timeouts, windows). */
export const positiveDurationSchema = durationSchema.superRefine((d, ctx) => {
  const parts = [d.days, d.hours, d.minutes, d.seconds].filter((v): v is number => v !== undefined);
  if (parts.length === 0)
    ctx.addIssue({ code: 'custom', message: 'give at least one of days, hours, minutes, seconds' });
  else if (parts.some((v) => v < 0)) ctx.addIssue({ code: 'custom', message: 'must not be negative' });
  // A zero wait/timeout passes no time: a loop through it would spin, a zero timeout fires at once.
  else if (parts.every((v) => v === 0)) ctx.addIssue({ code: 'custom', message: 'must be longer than zero' });
});

export const comparisonOps = [
  'eq',
  'neq',
  'in',
  'nin',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
  'notExists',
  'contains',
] as const;
export type ComparisonOp = (typeof comparisonOps)[number];
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Compare a value found at a dotted path (e.g. `properties.category`, `traits.priceBand`, `tags`, `aiplStage`). */
export const attributeConditionSchema = z
  .object({
    kind: z.literal('attribute').default('attribute'),
    path: z.string().min(1),
    op: z.enum(comparisonOps),
    value: z.union([scalar, z.array(scalar)]).optional(),
  })
  .strict();

/** The customer owns (or does not own) a product of a category and/or SKU. */
export const ownsConditionSchema = z
  .object({
    kind: z.literal('owns'),
    category: z.string().optional(),
    sku: z.string().optional(),
    negate: z.boolean().optional(),
  })
  .strict();

/** How many `event`s the customer sent in the last `withinDays` days, compared with `value`. */
export const eventCountConditionSchema = z
  .object({
    kind: z.literal('eventCount'),
    event: z.string().min(1),
    withinDays: z.number().int().positive(),
    op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']),
    value: z.number().int().nonnegative(),
  })
  .strict();

export const conditionSchema = z.union([ownsConditionSchema, eventCountConditionSchema, attributeConditionSchema]);
export type Condition = z.infer<typeof conditionSchema>;
export type AttributeCondition = z.infer<typeof attributeConditionSchema>;
/** Event filters look only at the event itself: attribute conditions over `name`, `properties.*`. */
/**
 * Conditions of one list are checked pairwise for contradictions (domain/journey/condition-checks.ts): the
 * bound keeps that linear in the size of a definition. Real filters have a handful.
 */
export const MAX_CONDITIONS_PER_LIST = 100;
const conditionList = <T extends z.ZodType>(condition: T) =>
  z.array(condition).max(MAX_CONDITIONS_PER_LIST, `at most ${MAX_CONDITIONS_PER_LIST} conditions in one list`);
export const eventFilterSchema = conditionList(attributeConditionSchema);

export const aiplStages = ['awareness', 'interest', 'purchase', 'loyalty'] as const;
export type AiplStage = (typeof aiplStages)[number];
export const channels = ['email', 'sms', 'push', 'wechat'] as const;
export type Channel = (typeof channels)[number];

export const localWindowSchema = z
  .object({
    weekdays: z.array(z.number().int().min(1).max(7)).min(1).optional(),
    start: hhmm,
    end: hhmm,
  })
  .strict();

/** A date read from the profile (`traits.warrantyEndsAt`) or the entry event (`entry.properties.installedAt`), shifted. */
export const dateRefSchema = z.object({ attribute: z.string().min(1), offset: durationSchema.optional() }).strict();

// ---- entry -----------------------------------------------------------------------------------

export const entrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), event: z.string().min(1), filter: eventFilterSchema.optional() }).strict(),
  z.object({ type: z.literal('segment'), segment: z.string().min(1) }).strict(),
  z
    .object({
      type: z.literal('date'),
      attribute: z.string().min(1),
      offset: durationSchema.optional(),
      at: hhmm.optional(),
    })
    .strict(),
  z.object({ type: z.literal('api') }).strict(),
]);

export const reentrySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('once') }).strict(),
  z.object({ mode: z.literal('afterExit') }).strict(),
  z.object({ mode: z.literal('cooldown'), days: z.number().int().positive() }).strict(),
]);
export type Reentry = z.infer<typeof reentrySchema>;

// ---- goals -----------------------------------------------------------------------------------

export const goalSchema = z
  .object({
    id,
    event: z.string().min(1),
    filter: eventFilterSchema.optional(),
    /** Paths that must be equal on the goal event and the entry event (e.g. `properties.category`). */
    matchEntry: z.array(z.string().min(1)).optional(),
    /** A conversion counts toward the journey's goal; a plain exit (e.g. `unsubscribed`) does not. */
    conversion: z.boolean().default(true),
  })
  .strict();
export type Goal = z.infer<typeof goalSchema>;

// ---- steps -----------------------------------------------------------------------------------

/**
 * Until `daysBefore` days before the predicted depletion of the consumable in the device whose
 * serial the entry event carries. Telemetry, a replacement or a purchase of that consumable moves it.
 */
export const depletionWaitSchema = z
  .object({
    /** Days before the predicted depletion (negative: after it, e.g. a last call). */
    daysBefore: z.number().int().min(-365).max(365),
    /** Where the device's serial is read: an entry-event path. */
    serial: z.string().min(1).default('entry.properties.serial'),
  })
  .strict();

/** Until the next `month`/`day` at local `at` (this year's if still ahead, else next year's). */
export const yearlyWaitSchema = z
  .object({
    month: z.number().int().min(1).max(12),
    day: z.number().int().min(1).max(31),
    at: hhmm.default('09:00'),
  })
  .strict();

/** Events that may move a depletion wait: the router delivers them to enrollments waiting so. */
export const depletionWaitEvents = ['Telemetry Reported', 'Consumable Replaced', 'Order Completed'] as const;

const next = id;
const waitStep = z
  .object({
    type: z.literal('wait'),
    duration: positiveDurationSchema.optional(),
    until: dateRefSchema.optional(),
    window: localWindowSchema.optional(),
    depletion: depletionWaitSchema.optional(),
    yearly: yearlyWaitSchema.optional(),
    /** Depletion waits: where to go when there is no prediction (device gone, no consumable); default `next`. */
    onUnknown: id.optional(),
    /** Depletion waits: where to go when a new consumable cycle starts meanwhile (bought, replaced); default: keep waiting for the new cycle's date. */
    onNewCycle: id.optional(),
    next,
  })
  .strict()
  .superRefine((s, ctx) => {
    const modes = [s.duration, s.until, s.window, s.depletion, s.yearly].filter((m) => m !== undefined).length;
    if (modes !== 1)
      ctx.addIssue({
        code: 'custom',
        message: 'a wait needs exactly one of duration, until, window, depletion, yearly',
      });
    for (const key of ['onUnknown', 'onNewCycle'] as const)
      if (s[key] !== undefined && s.depletion === undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} belongs to a depletion wait` });
  });

const waitForEventStep = z
  .object({
    type: z.literal('waitForEvent'),
    event: z.string().min(1),
    filter: eventFilterSchema.optional(),
    timeout: positiveDurationSchema,
    /** Ranked: the first outcome whose `when` matches the event wins; one without `when` catches the rest. */
    outcomes: z.array(z.object({ id, when: eventFilterSchema.optional(), next }).strict()).min(1),
    onTimeout: next,
  })
  .strict();

const branchStep = z
  .object({
    type: z.literal('branch'),
    /** Ranked: the first branch whose conditions all hold wins. */
    branches: z.array(z.object({ id, when: conditionList(conditionSchema).min(1), next }).strict()).min(1),
    else: next,
  })
  .strict();

const splitStep = z
  .object({
    type: z.literal('split'),
    arms: z
      .array(z.object({ id, weight: z.number().positive(), next, holdout: z.boolean().optional() }).strict())
      .min(2),
  })
  .strict();

const sendStep = z
  .object({
    type: z.literal('send'),
    channel: z.enum(channels),
    template: z.string().min(1),
    kind: z.enum(['marketing', 'transactional']).default('marketing'),
    topic: z.string().optional(),
    /** Checked again right before sending; the send is skipped (reason recorded) when they fail. */
    onlyIf: conditionList(conditionSchema).optional(),
    next,
  })
  .strict();

const updateStep = z
  .object({
    type: z.literal('update'),
    traits: z.record(z.string(), z.union([scalar, z.array(scalar)])).optional(),
    addTags: z.array(z.string().min(1)).optional(),
    removeTags: z.array(z.string().min(1)).optional(),
    aiplStage: z.enum(aiplStages).optional(),
    next,
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!s.traits && !s.addTags && !s.removeTags && !s.aiplStage)
      ctx.addIssue({ code: 'custom', message: 'an update needs traits, addTags, removeTags or aiplStage' });
  });

const webhookStep = z
  .object({
    type: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }),
    /** Handlebars template rendered with the customer and entry event; sent as the JSON body. */
    body: z.string().optional(),
    next,
  })
  .strict();

const exitStep = z.object({ type: z.literal('exit'), reason: z.string().min(1).default('completed') }).strict();

export const stepSchema = z.discriminatedUnion('type', [
  waitStep,
  waitForEventStep,
  branchStep,
  splitStep,
  sendStep,
  updateStep,
  webhookStep,
  exitStep,
]);
export type Step = z.infer<typeof stepSchema>;
export type StepType = Step['type'];
export type StepOf<T extends StepType> = Extract<Step, { type: T }>;

// ---- journey ---------------------------------------------------------------------------------

export const settingsSchema = z
  .object({
    timeZone: z.string().default('Asia/Shanghai'),
    quietHours: z.object({ start: hhmm, end: hhmm }).strict().optional(),
    /** Conversions count when the goal event arrives within this long after entry. */
    goalWindow: positiveDurationSchema.optional(),
  })
  .strict();

export const journeyDefinitionSchema = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    entry: entrySchema,
    reentry: reentrySchema.default({ mode: 'once' }),
    /** Entry-event paths whose values key concurrent copies (one refill journey per device + consumable). */
    concurrencyKey: z.array(z.string().min(1)).optional(),
    goals: z.array(goalSchema).default([]),
    settings: settingsSchema.default({ timeZone: 'Asia/Shanghai' }),
    start: id,
    steps: z.record(id, stepSchema),
  })
  .strict();

/** A definition as written (defaults may be missing). */
export type JourneyDefinitionInput = z.input<typeof journeyDefinitionSchema>;
/** A parsed definition, defaults applied: what versions store and workflows interpret. */
export type JourneyDefinition = z.infer<typeof journeyDefinitionSchema>;
