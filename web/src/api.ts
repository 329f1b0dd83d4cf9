/**
 * Everything the console asks the API, typed, in one place. Pages never call fetch themselves.
 * The types follow the route files (api/*.ts): their handlers' return values.
 */

const KEY_STORAGE = 'perennial.adminKey';

export const session = {
  key(): string | null {
    return sessionStorage.getItem(KEY_STORAGE);
  },
  signIn(key: string): void {
    sessionStorage.setItem(KEY_STORAGE, key);
  },
  signOut(): void {
    sessionStorage.removeItem(KEY_STORAGE);
  },
};

export interface Issue {
  path: string;
  message: string;
}

/** The API answered with an error status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }
}

/** Sent when a request comes back 401: the app signs out. */
export const unauthorizedEvent = 'perennial:unauthorized';

type Method = 'GET' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

async function request<T>(method: Method, path: string, body?: unknown, key = session.key()): Promise<T> {
  const headers: Record<string, string> = {};
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;
  const error = (parsed ?? {}) as { error?: string; message?: string; issues?: Issue[] };
  if (response.status === 401 && key === session.key()) window.dispatchEvent(new Event(unauthorizedEvent));
  throw new ApiError(
    response.status,
    error.error ?? `http_${response.status}`,
    error.message ?? response.statusText,
    error.issues ?? [],
  );
}

// ---- journeys (api/app.ts) -------------------------------------------------------------------

export type JourneyStatus = 'draft' | 'published' | 'paused' | 'archived';

export interface Journey {
  id: string;
  name: string;
  status: JourneyStatus;
  draft: unknown;
  latestVersion: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface JourneyVersion {
  journeyId: string;
  version: number;
  definition: unknown;
  publishedAt: string;
}

export type EnrollmentStatus = 'active' | 'completed' | 'exited' | 'converted' | 'cancelled' | 'failed';

export interface Enrollment {
  id: string;
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  enrollmentKey: string;
  workflowId: string;
  status: EnrollmentStatus;
  currentStep: string | null;
  nextWakeAt: string | null;
  path: { step: string; at: string; outcome?: string }[];
  enteredAt: string;
  exitedAt: string | null;
  exitReason: string | null;
  convertedAt: string | null;
}

export const journeysApi = {
  /** Checks a key without keeping it: true when it is an admin key. */
  async checkKey(key: string): Promise<boolean> {
    try {
      await request<unknown>('GET', '/v1/journeys', undefined, key);
      return true;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return false;
      throw error;
    }
  },
  list: async () => (await request<{ journeys: Journey[] }>('GET', '/v1/journeys')).journeys,
  get: (id: string) =>
    request<{ journey: Journey; versions: JourneyVersion[] }>('GET', `/v1/journeys/${encodeURIComponent(id)}`),
  saveDraft: async (id: string, definition: unknown) =>
    (await request<{ journey: Journey }>('PUT', `/v1/journeys/${encodeURIComponent(id)}`, definition)).journey,
  publish: (id: string) =>
    request<{ id: string; version: number }>('POST', `/v1/journeys/${encodeURIComponent(id)}/publish`),
  action: (id: string, action: 'pause' | 'resume' | 'archive') =>
    request<{ id: string; status: JourneyStatus }>('POST', `/v1/journeys/${encodeURIComponent(id)}/${action}`),
};

export const enrollmentsApi = {
  list: async (query: { journeyId?: string; customerId?: string; status?: EnrollmentStatus; limit?: number }) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    return (await request<{ enrollments: Enrollment[]; nextCursor: string | null }>('GET', `/v1/enrollments?${params}`))
      .enrollments;
  },
  get: (id: string) =>
    request<{ enrollment: Enrollment; live: unknown; messages: EnrollmentMessage[]; temporalUiUrl: string }>(
      'GET',
      `/v1/enrollments/${encodeURIComponent(id)}`,
    ),
  history: async (id: string) =>
    (
      await request<{ timeline: HistoryEntry[]; temporalUiUrl: string }>(
        'GET',
        `/v1/enrollments/${encodeURIComponent(id)}/history`,
      )
    ).timeline,
  cancel: (id: string, reason: string) =>
    request<{ status: string }>('POST', `/v1/enrollments/${encodeURIComponent(id)}/cancel`, { reason }),
};

export interface EnrollmentMessage {
  stepId: string;
  occurrence: number;
  channel: string;
  templateId: string;
  status: string;
  reason: string | null;
  createdAt: string;
  sentAt: string | null;
}

// ---- api keys (api/keys.ts; there is no list endpoint) ---------------------------------------

export interface CreatedApiKey {
  id: string;
  kind: 'write' | 'admin';
  name: string;
  /** The plaintext, returned once. */
  key: string;
  createdAt: string;
}

export const apiKeysApi = {
  create: async (kind: 'write' | 'admin', name: string) =>
    (await request<{ apiKey: CreatedApiKey }>('POST', '/v1/api-keys', { kind, name })).apiKey,
  revoke: (id: string) =>
    request<{ id: string; revoked: true }>('POST', `/v1/api-keys/${encodeURIComponent(id)}/revoke`),
};

// ---- customers (api/customers.ts, api/ops.ts) ------------------------------------------------

export interface OwnedProduct {
  id: string;
  sku: string;
  name: string | null;
  kind: string | null;
  category: string;
  serial: string | null;
  purchasedAt: string | null;
  installedAt: string | null;
  warrantyEndsAt: string | null;
  disposedAt: string | null;
  latestTelemetry: Record<string, { value: number; readAt: string }>;
  /** Held devices that take a consumable (activities/depletion.ts, the refill journey's loader); else null. */
  predictedDepletion: PredictedDepletion | null;
}

export interface PredictedDepletion {
  consumable: {
    sku: string;
    name: string;
    ratedLifeDays: number | null;
    ratedUsage: number | null;
    usageMetric: string | null;
  };
  cycleStartedAt: string;
  readings: number;
  depletesAt: string | null;
  /** Whole days from now; negative when overdue. */
  daysLeft: number | null;
  confidence: number;
  basis: 'telemetry' | 'rated-life' | 'rated-life-cap' | 'unknown';
  usagePerDay: number | null;
  usedByNow: number | null;
}

export interface Customer {
  id: string;
  traits: Record<string, unknown>;
  tags: string[];
  aiplStage: string | null;
  aiplHistory: { from: string | null; to: string; at: string; source: string }[];
  timeZone: string | null;
  locale: string | null;
  consent: unknown;
  identities: { kind: string; value: string; createdAt: string }[];
  ownedProducts: OwnedProduct[];
  orders: {
    id: string;
    externalId: string | null;
    source: string;
    status: string;
    currency: string;
    totalCents: number | null;
    orderedAt: string;
  }[];
  createdAt: string;
  updatedAt: string;
}

/** One line of a customer timeline (GET /v1/customers/:id/timeline), newest first. */
export interface CustomerTimelineItem {
  kind: 'event' | 'message' | 'entered' | 'exited';
  id: string;
  at: string;
  journeyId: string | null;
  enrollmentId: string | null;
  text: string;
  details: Record<string, unknown>;
}

/** One line of an enrollment's history (GET /v1/enrollments/:id/history), oldest first. */
export interface HistoryEntry {
  eventId: number;
  at: string;
  kind: string;
  text: string;
  step?: string;
  details?: Record<string, unknown>;
}

const enc = encodeURIComponent;

export const customersApi = {
  /** GET /v1/customers?identity=kind:value: one customer, or null on 404. */
  async findByIdentity(kind: string, value: string): Promise<Customer | null> {
    try {
      return (
        await request<{ customer: Customer }>(
          'GET',
          `/v1/customers?${new URLSearchParams({ identity: `${kind}:${value}` })}`,
        )
      ).customer;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  },
  get: async (id: string) => (await request<{ customer: Customer }>('GET', `/v1/customers/${enc(id)}`)).customer,
  timeline: (id: string, cursor?: string) =>
    request<{ customerId: string; items: CustomerTimelineItem[]; nextCursor: string | null }>(
      'GET',
      `/v1/customers/${enc(id)}/timeline?${new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) })}`,
    ),
};

// ---- templates (api/templates.ts) ------------------------------------------------------------

export interface TemplateParts {
  subject?: string;
  text: string;
  html?: string;
  fields?: Record<string, string>;
}

export interface TemplateBody {
  channel: string;
  defaultLocale: string;
  locales: Record<string, TemplateParts>;
  layout?: string | null;
  providerTemplateId?: string | null;
  variables?: { traits: string[]; event: string[] };
}

export interface TemplateRow {
  id: string;
  channel: string;
  subject: string | null;
  latestVersion: number | null;
  updatedAt: string;
}

export interface TemplateContent extends TemplateBody {
  templateId: string;
  version: number | null;
}

export interface RenderedPreview {
  templateId: string;
  version: number | null;
  locale: string;
  subject?: string;
  text: string;
  html?: string;
  fields?: Record<string, string>;
}

/** One locale of a live preview: rendered, or why it could not be. */
export type DraftPreview = (RenderedPreviewParts & { locale: string }) | { locale: string; error: string };
export type RenderedPreviewParts = Omit<RenderedPreview, 'templateId' | 'version' | 'locale'>;

export interface PreviewCustomer {
  sample?: { traits: Record<string, unknown>; locale?: string };
  customerId?: string;
}

export const templatesApi = {
  list: async () => (await request<{ templates: TemplateRow[] }>('GET', '/v1/templates')).templates,
  get: (id: string) =>
    request<{ template: TemplateContent; versions: { version: number; defaultLocale: string; createdAt: string }[] }>(
      'GET',
      `/v1/templates/${enc(id)}`,
    ),
  save: (id: string, body: TemplateBody) =>
    request<{ id: string; version: number }>('PUT', `/v1/templates/${enc(id)}`, body),
  preview: (
    id: string,
    body: { sample: { traits: Record<string, unknown>; locale?: string }; event?: Record<string, unknown> },
  ) => request<RenderedPreview>('POST', `/v1/templates/${enc(id)}/preview`, body),
  /** POST /v1/template-previews: checks an unsaved body (issues at $.body.template…) and renders each locale; saves nothing. */
  previewDraft: (template: TemplateBody, customer: PreviewCustomer, event: Record<string, unknown>) =>
    request<{ issues: Issue[]; previews: DraftPreview[] }>('POST', '/v1/template-previews', {
      template,
      ...customer,
      event,
    }),
};

// ---- analytics (api/analytics.ts, api/associations.ts) ---------------------------------------

export interface ArmStats {
  arm: string;
  holdout: boolean;
  entered: number;
  conversions: number;
  rate: number | null;
  revenueCents: number;
  uplift: number | null;
  upliftInterval: { low: number; high: number } | [number, number] | null;
  relativeUplift: number | null;
  significant: boolean | null;
}

export interface StepStats {
  step: string;
  /** Enrollments that reached the step (passed it, or wait there now). */
  entered: number;
  /** Enrollments whose path notes the step (the workflow notes a step when it finishes it). */
  passed: number;
  /** Active enrollments at the step now. */
  active: number;
}

export interface VersionStats {
  version: number;
  entered: number;
  active: number;
  activeByStep: { step: string; count: number }[];
  steps: StepStats[];
  exits: { status: string; reason: string | null; count: number }[];
  messages: { channel: string; status: string; count: number }[];
  conversions: number;
  conversionRate: number | null;
  revenue: { orders: number; cents: number };
  splits: {
    step: string;
    holdout: { entered: number; conversions: number; rate: number | null } | null;
    arms: ArmStats[];
  }[];
}

export interface Funnel {
  from: string;
  to: string;
  interval: 'day' | 'week';
  stages: { stage: string | null; customers: number }[];
  transitions: { period: string; from: string | null; to: string; count: number }[];
}

export interface AssociationRule {
  fromCategory: string;
  toCategory: string;
  count: number;
  support: number;
  confidence: number;
  lift: number;
}

/** GET /v1/analytics/journeys: every journey's headline numbers, one query. */
export interface JourneySummary {
  journeyId: string;
  entered: number;
  active: number;
  converted: number;
  conversionRate: number | null;
  messagesSent: number;
}

export const analyticsApi = {
  summaries: (days = 7) =>
    request<{ from: string; to: string; journeys: JourneySummary[] }>('GET', `/v1/analytics/journeys?days=${days}`),
  journey: (id: string) =>
    request<{ journeyId: string; versions: VersionStats[] }>('GET', `/v1/analytics/journeys/${enc(id)}`),
  funnel: () => request<Funnel>('GET', '/v1/analytics/funnel'),
  associations: () =>
    request<{ rules: AssociationRule[]; computedAt: string | null }>('GET', '/v1/categories/associations?limit=50'),
};

// ---- simulation (api/simulation.ts) ----------------------------------------------------------

export interface SimulationProfile {
  traits?: Record<string, unknown>;
  tags?: string[];
  aiplStage?: string | null;
  timeZone?: string | null;
  locale?: string | null;
  ownedProducts?: { sku: string; category: string }[];
}

export interface ScriptedEvent {
  after: { days?: number; hours?: number; minutes?: number };
  name: string;
  properties?: Record<string, unknown>;
}

export interface SimulationResult {
  journeyId: string;
  journeyVersion: number;
  customerId: string;
  startedAt: string;
  endedAt: string;
  outcome: { status: string; reason: string };
  steps: { at: string; step: string; outcome?: string }[];
  messages: {
    at: string;
    step: string;
    channel: string;
    template: string;
    status: string;
    reason?: string;
    until?: string;
    subject?: string;
    text?: string;
  }[];
  events: { at: string; name: string; delivered: boolean }[];
  updates: {
    at: string;
    traits?: Record<string, unknown>;
    addTags?: string[];
    removeTags?: string[];
    aiplStage?: string;
  }[];
  webhooks: { at: string; url: string }[];
  wallMs: number;
}

export const simulationApi = {
  /** POST /v1/journeys/:id/simulate: runs the draft (or a version) on a time-skipping server. */
  simulate: async (
    id: string,
    body: {
      version?: number | 'draft';
      profile?: SimulationProfile;
      customerId?: string;
      events?: ScriptedEvent[];
      horizonDays?: number;
    },
  ) => (await request<{ simulation: SimulationResult }>('POST', `/v1/journeys/${enc(id)}/simulate`, body)).simulation,
};

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.status})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
