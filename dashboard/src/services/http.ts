/** The one place that talks HTTP to the server: base URL, bearer token, `{"detail"}` errors. */
import { observeServerDate } from './clock';
import { readToken } from './token';

/** Where the API is: empty when the dashboard is served by the server itself. */
export const API_BASE: string = (import.meta.env.VITE_API_BASE ?? '').replace(/\/+$/, '');

/** An answer other than 2xx, with the server's `detail` message. */
export class ApiError extends Error {
  /** The HTTP status (0 when the server could not be reached). */
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** True for the 401 the server answers when it needs an API token. */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

type UnauthorizedListener = (detail: string) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Calls `listener` whenever the server answers 401; returns the unsubscribe function. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Reports a 401 to whoever shows the token prompt. */
export function reportUnauthorized(detail: string): void {
  unauthorizedListeners.forEach((listener) => {
    listener(detail);
  });
}

/** The headers every API call carries: the bearer token when one is stored. */
export function authHeaders(): Record<string, string> {
  const token = readToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Reads `{"detail": ...}` from an error answer, whatever its shape. */
export async function errorDetail(response: Response): Promise<string> {
  try {
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null && 'detail' in body) {
      const { detail } = body;
      return typeof detail === 'string' ? detail : JSON.stringify(detail);
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `${response.status} ${response.statusText}`.trim();
}

/** Sends a request and decodes the JSON answer as `T` (the server's OpenAPI types). */
export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...authHeaders() };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { ...init, headers });
  } catch (error) {
    // An abort is the caller's own doing, not a lost server.
    if (init.signal?.aborted) throw error;
    throw new ApiError(0, 'Cannot reach the RustQueue server. Is it running?');
  }
  observeServerDate(response.headers.get('Date'));
  if (!response.ok) {
    const detail = await errorDetail(response);
    if (response.status === 401) reportUnauthorized(detail);
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

/** Fetches a text document (such as `/metrics`) with the bearer token, reporting a 401 like `request`. */
export async function requestText(path: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${API_BASE}${path}`, { headers: { Accept: 'text/plain', ...authHeaders() } });
  } catch {
    throw new ApiError(0, 'Cannot reach the RustQueue server. Is it running?');
  }
  if (!response.ok) {
    const detail = await errorDetail(response);
    if (response.status === 401) reportUnauthorized(detail);
    throw new ApiError(response.status, detail);
  }
  return response.text();
}

/** A JSON body for `request`. */
export function jsonBody(value: unknown): Pick<RequestInit, 'method' | 'body'> {
  return { method: 'POST', body: JSON.stringify(value) };
}
