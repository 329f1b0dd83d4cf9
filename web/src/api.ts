/**
 * Everything the console asks the API, typed, in one place. Pages never call fetch themselves.
 *
 * Endpoints that other branches are adding (customers, timelines, enrollment history, templates,
 * analytics, simulation) are called here too, through `optional()`: it looks the route up in the
 * server's OpenAPI document first and throws `NotAvailableError` (a "not available yet" message on
 * the page) without a request when it is missing; Fastify's "Route … not found" 404 means the same.
 * Their response shapes are guesses to adjust at merge: each has a small normaliser.
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

/** The endpoint does not exist on this server (yet). */
export class NotAvailableError extends Error {
  constructor(readonly endpoint: string) {
    super(`${endpoint} is not available on this server yet`);
  }
}

/** Sent when a request comes back 401: the app signs out. */
export const unauthorizedEvent = 'perennial:unauthorized';

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * The server's OpenAPI document (/docs/json, public), read once: endpoints of other parts of
 * Perennial are looked up there before they are called, so a missing one costs no failed request
 * (and no console error). Null when the document cannot be read: then the 404 decides.
 */
let spec: Promise<Record<string, Record<string, unknown>> | null> | undefined;
function servedPaths() {
  spec ??= fetch('/docs/json')
    .then(async (r) => (r.ok ? ((await r.json()) as { paths?: Record<string, Record<string, unknown>> }).paths ?? {} : null))
    .catch(() => null);
  return spec;
}

/** `/v1/customers/:id` in the spec's form `/v1/customers/{id}`; true when the spec is unknown. */
export async function isServed(method: Method, template: string): Promise<boolean> {
  const paths = await servedPaths();
  if (paths === null) return true;
  return paths[template.replace(/:(\w+)/g, '{$1}')]?.[method.toLowerCase()] !== undefined;
}

/** A request to an endpoint that may not be deployed yet: `template` is its route, `path` the URL. */
async function optional<T>(method: Method, template: string, path: string, body?: unknown): Promise<T> {
  if (!(await isServed(method, template))) throw new NotAvailableError(`${method} ${template}`);
  return request<T>(method, path, body);
}

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
  // Fastify's own not-found answer names the route; a missing *resource* is `{ error: 'not_found' }`.
  if (response.status === 404 && error.error === 'Not Found' && (error.message ?? '').startsWith('Route ')) throw new NotAvailableError(`${method} ${path.split('?')[0]}`);
  if (response.status === 401 && key === session.key()) window.dispatchEvent(new Event(unauthorizedEvent));
  throw new ApiError(response.status, error.error ?? `http_${response.status}`, error.message ?? response.statusText, error.issues ?? []);
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
  get: (id: string) => request<{ journey: Journey; versions: JourneyVersion[] }>('GET', `/v1/journeys/${encodeURIComponent(id)}`),
  saveDraft: async (id: string, definition: unknown) =>
    (await request<{ journey: Journey }>('PUT', `/v1/journeys/${encodeURIComponent(id)}`, definition)).journey,
  publish: (id: string) => request<{ id: string; version: number }>('POST', `/v1/journeys/${encodeURIComponent(id)}/publish`),
  action: (id: string, action: 'pause' | 'resume' | 'archive') =>
    request<{ id: string; status: JourneyStatus }>('POST', `/v1/journeys/${encodeURIComponent(id)}/${action}`),
};

export const enrollmentsApi = {
  list: async (query: { journeyId?: string; customerId?: string; status?: EnrollmentStatus; limit?: number }) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    return (await request<{ enrollments: Enrollment[] }>('GET', `/v1/enrollments?${params}`)).enrollments;
  },
  get: (id: string) => request<{ enrollment: Enrollment; live: unknown }>('GET', `/v1/enrollments/${encodeURIComponent(id)}`),
  /** Ops branch: GET /v1/enrollments/:id/history. */
  history: async (id: string) => listOf<TimelineItem>(await optional<unknown>('GET', '/v1/enrollments/:id/history', `/v1/enrollments/${encodeURIComponent(id)}/history`), ['history', 'events', 'items']),
};

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
  create: async (kind: 'write' | 'admin', name: string) => (await request<{ apiKey: CreatedApiKey }>('POST', '/v1/api-keys', { kind, name })).apiKey,
  revoke: (id: string) => request<{ id: string; revoked: true }>('POST', `/v1/api-keys/${encodeURIComponent(id)}/revoke`),
};

// ---- customers (customer-profile and ops branches) -------------------------------------------

export interface Customer {
  id: string;
  traits?: Record<string, unknown>;
  tags?: string[];
  aiplStage?: string | null;
  timeZone?: string | null;
  identities?: { kind: string; value: string }[];
  [more: string]: unknown;
}

/** One line of a timeline or history, whatever its source; `at` is an ISO time when known. */
export interface TimelineItem {
  at?: string;
  kind?: string;
  type?: string;
  [more: string]: unknown;
}

/** Finds the list in `{ <one of names>: [...] }` or a bare array. */
function listOf<T>(body: unknown, names: string[]): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    for (const name of names) {
      const value = (body as Record<string, unknown>)[name];
      if (Array.isArray(value)) return value as T[];
    }
  }
  return [];
}

function oneOf<T>(body: unknown, name: string): T {
  if (body && typeof body === 'object' && name in body) return (body as Record<string, T>)[name] as T;
  return body as T;
}

export const customersApi = {
  /** GET /v1/customers?identity=kind:value */
  async findByIdentity(kind: string, value: string): Promise<Customer[]> {
    const body = await optional<unknown>('GET', '/v1/customers', `/v1/customers?${new URLSearchParams({ identity: `${kind}:${value}` })}`);
    if (body && typeof body === 'object' && 'customer' in body) return [oneOf<Customer>(body, 'customer')];
    return listOf<Customer>(body, ['customers']);
  },
  /** GET /v1/customers/:id */
  get: async (id: string) => oneOf<Customer>(await optional<unknown>('GET', '/v1/customers/:id', `/v1/customers/${encodeURIComponent(id)}`), 'customer'),
  /** GET /v1/customers/:id/timeline */
  timeline: async (id: string) => listOf<TimelineItem>(await optional<unknown>('GET', '/v1/customers/:id/timeline', `/v1/customers/${encodeURIComponent(id)}/timeline`), ['timeline', 'events', 'items']),
};

// ---- templates (messaging branch) ------------------------------------------------------------

export interface Template {
  id: string;
  channel?: string;
  subject?: string;
  body?: string;
  [more: string]: unknown;
}

export const templatesApi = {
  list: async () => listOf<Template>(await optional<unknown>('GET', '/v1/templates', '/v1/templates'), ['templates']),
  get: async (id: string) => oneOf<Template>(await optional<unknown>('GET', '/v1/templates/:id', `/v1/templates/${encodeURIComponent(id)}`), 'template'),
  save: async (id: string, template: Omit<Template, 'id'>) => oneOf<Template>(await optional<unknown>('PUT', '/v1/templates/:id', `/v1/templates/${encodeURIComponent(id)}`, template), 'template'),
};

// ---- analytics and simulation (ops branch) ---------------------------------------------------

/** Headline numbers of one journey; any may be missing. */
export interface JourneyMetrics {
  journeyId: string;
  entered?: number;
  active?: number;
  converted?: number;
  conversionRate?: number;
}

export const analyticsApi = {
  /** GET /v1/analytics/journeys */
  journeys: async () => listOf<JourneyMetrics>(await optional<unknown>('GET', '/v1/analytics/journeys', '/v1/analytics/journeys'), ['journeys', 'items']),
  /** GET /v1/analytics/journeys/:id (per-step and per-path numbers). */
  journey: (id: string) => optional<Record<string, unknown>>('GET', '/v1/analytics/journeys/:id', `/v1/analytics/journeys/${encodeURIComponent(id)}`),
};

export const simulationApi = {
  /** POST /v1/journeys/:id/simulate: runs the draft over its whole horizon on a time-skipping server. */
  simulate: (id: string, body: { customers?: number; days?: number }) =>
    optional<Record<string, unknown>>('POST', '/v1/journeys/:id/simulate', `/v1/journeys/${encodeURIComponent(id)}/simulate`, body),
};

export function describeError(error: unknown): string {
  if (error instanceof NotAvailableError) return error.message;
  if (error instanceof ApiError) return `${error.message} (${error.status})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
