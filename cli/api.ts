/** The CLI's HTTP client: the admin API with a bearer key; errors become `ApiError`s with the API's body. */
import { existsSync, readFileSync } from 'node:fs';

export interface ApiOptions {
  apiUrl: string;
  apiKey?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; message?: string; issues?: { path: string; message: string }[] } | undefined,
  ) {
    super(
      `${status} ${body?.error ?? 'error'}: ${body?.message ?? ''}${body?.issues?.length ? `\n${body.issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}` : ''}`.trim(),
    );
  }
}

/** The CLI could not reach the API or find a key: exit code 2, like `npm start`'s dependency errors. */
export class CliSetupError extends Error {}

/** `--api-key`, else `PERENNIAL_API_KEY`, else the key `npm start` wrote to `.data/admin-key`. */
export function resolveApiKey(given: string | undefined, dataDir = process.env.DATA_DIR ?? '.data'): string {
  if (given) return given;
  if (process.env.PERENNIAL_API_KEY) return process.env.PERENNIAL_API_KEY;
  const file = `${dataDir}/admin-key`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new CliSetupError(
    `no API key: pass --api-key, set PERENNIAL_API_KEY, or run \`npm start\` (it writes ${file})`,
  );
}

export function createApi(options: ApiOptions) {
  const base = options.apiUrl.replace(/\/+$/, '');
  async function request<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<T> {
    const key = resolveApiKey(options.apiKey);
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new CliSetupError(
        `cannot reach the Perennial API at ${base} (${cause}); is \`npm start\` running? (--api-url)`,
      );
    }
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) throw new ApiError(response.status, parsed as ApiError['body']);
    return parsed as T;
  }
  return {
    get: <T>(path: string) => request<T>('GET', path),
    post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
    put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  };
}
export type Api = ReturnType<typeof createApi>;

/** `?a=1&b=x` from defined values only. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const s = search.toString();
  return s ? `?${s}` : '';
}
