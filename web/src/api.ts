/**
 * Everything the console asks the API, typed, in one place. Pages never call fetch themselves.
 * The types are the API's own response schemas (api/schemas/*.ts, type-only imports): what the
 * server is checked to send is what the console reads.
 */
import type { AssociationRules, Funnel, JourneyStats, JourneySummaries } from '../../api/schemas/analytics';
import type { ApiErrorBody, Issue } from '../../api/schemas/common';
import type { Customer, CustomerOne } from '../../api/schemas/customers';
import type {
  Cancelling,
  CustomerTimeline,
  EnrollmentDetail,
  EnrollmentHistory,
  EnrollmentPage,
  EnrollmentStatus,
} from '../../api/schemas/enrollments';
import type {
  JourneyDetail,
  JourneyList,
  JourneySaved,
  JourneyTransition,
  Published,
} from '../../api/schemas/journeys';
import type { ApiKeyCreated, ApiKeyRevoked } from '../../api/schemas/keys';
import type { Simulation, SimulationRequest } from '../../api/schemas/simulation';
import type {
  DraftPreviews,
  PreviewCustomer,
  RenderedPreview,
  TemplateBodyInput,
  TemplateDetail,
  TemplateList,
  TemplateSaved,
} from '../../api/schemas/templates';

export type * from '../../api/schemas/analytics';
export type { Issue } from '../../api/schemas/common';
export type * from '../../api/schemas/customers';
export type * from '../../api/schemas/enrollments';
export type * from '../../api/schemas/journeys';
export type * from '../../api/schemas/keys';
export type * from '../../api/schemas/simulation';
export type * from '../../api/schemas/templates';
/** A template body as the editor holds it. */
export type TemplateBody = TemplateBodyInput;

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
  const error = (parsed ?? {}) as Partial<ApiErrorBody>;
  if (response.status === 401 && key === session.key()) window.dispatchEvent(new Event(unauthorizedEvent));
  throw new ApiError(
    response.status,
    error.error ?? `http_${response.status}`,
    error.message ?? response.statusText,
    error.issues ?? [],
  );
}

// ---- journeys (api/app.ts) -------------------------------------------------------------------

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
  list: async () => (await request<JourneyList>('GET', '/v1/journeys')).journeys,
  get: (id: string) => request<JourneyDetail>('GET', `/v1/journeys/${encodeURIComponent(id)}`),
  saveDraft: async (id: string, definition: unknown) =>
    (await request<JourneySaved>('PUT', `/v1/journeys/${encodeURIComponent(id)}`, definition)).journey,
  publish: (id: string) => request<Published>('POST', `/v1/journeys/${encodeURIComponent(id)}/publish`),
  action: (id: string, action: 'pause' | 'resume' | 'archive') =>
    request<JourneyTransition>('POST', `/v1/journeys/${encodeURIComponent(id)}/${action}`),
};

export const enrollmentsApi = {
  list: async (query: { journeyId?: string; customerId?: string; status?: EnrollmentStatus; limit?: number }) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    return (await request<EnrollmentPage>('GET', `/v1/enrollments?${params}`)).enrollments;
  },
  get: (id: string) => request<EnrollmentDetail>('GET', `/v1/enrollments/${encodeURIComponent(id)}`),
  history: async (id: string) =>
    (await request<EnrollmentHistory>('GET', `/v1/enrollments/${encodeURIComponent(id)}/history`)).timeline,
  cancel: (id: string, reason: string) =>
    request<Cancelling>('POST', `/v1/enrollments/${encodeURIComponent(id)}/cancel`, { reason }),
};

// ---- api keys (api/keys.ts; there is no list endpoint) ---------------------------------------

export const apiKeysApi = {
  create: async (kind: 'write' | 'admin', name: string) =>
    (await request<ApiKeyCreated>('POST', '/v1/api-keys', { kind, name })).apiKey,
  revoke: (id: string) => request<ApiKeyRevoked>('POST', `/v1/api-keys/${encodeURIComponent(id)}/revoke`),
};

// ---- customers (api/customers.ts, api/ops.ts) ------------------------------------------------

const enc = encodeURIComponent;

export const customersApi = {
  /** GET /v1/customers?identity=kind:value: one customer, or null on 404. */
  async findByIdentity(kind: string, value: string): Promise<Customer | null> {
    try {
      return (
        await request<CustomerOne>('GET', `/v1/customers?${new URLSearchParams({ identity: `${kind}:${value}` })}`)
      ).customer;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  },
  get: async (id: string) => (await request<CustomerOne>('GET', `/v1/customers/${enc(id)}`)).customer,
  timeline: (id: string, cursor?: string) =>
    request<CustomerTimeline>(
      'GET',
      `/v1/customers/${enc(id)}/timeline?${new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) })}`,
    ),
};

// ---- templates (api/templates.ts) ------------------------------------------------------------

export const templatesApi = {
  list: async () => (await request<TemplateList>('GET', '/v1/templates')).templates,
  get: (id: string) => request<TemplateDetail>('GET', `/v1/templates/${enc(id)}`),
  save: (id: string, body: TemplateBody) => request<TemplateSaved>('PUT', `/v1/templates/${enc(id)}`, body),
  preview: (
    id: string,
    body: { sample: { traits: Record<string, unknown>; locale?: string }; event?: Record<string, unknown> },
  ) => request<RenderedPreview>('POST', `/v1/templates/${enc(id)}/preview`, body),
  /** POST /v1/template-previews: checks an unsaved body (issues at $.body.template…) and renders each locale; saves nothing. */
  previewDraft: (template: TemplateBody, customer: PreviewCustomer, event: Record<string, unknown>) =>
    request<DraftPreviews>('POST', '/v1/template-previews', {
      template,
      ...customer,
      event,
    }),
};

// ---- analytics (api/analytics.ts, api/associations.ts) ---------------------------------------

export const analyticsApi = {
  summaries: (days = 7) => request<JourneySummaries>('GET', `/v1/analytics/journeys?days=${days}`),
  journey: (id: string) => request<JourneyStats>('GET', `/v1/analytics/journeys/${enc(id)}`),
  funnel: () => request<Funnel>('GET', '/v1/analytics/funnel'),
  associations: () => request<AssociationRules>('GET', '/v1/categories/associations?limit=50'),
};

// ---- simulation (api/simulation.ts) ----------------------------------------------------------

export const simulationApi = {
  /** POST /v1/journeys/:id/simulate: runs the draft (or a version) on a time-skipping server. */
  simulate: async (id: string, body: SimulationRequest) =>
    (await request<Simulation>('POST', `/v1/journeys/${enc(id)}/simulate`, body)).simulation,
};

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `${error.message} (${error.status})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
