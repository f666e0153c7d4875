/** The API token, kept for this browser tab only (sessionStorage). */

const KEY = 'rustqueue.apiToken';

/** The stored token, if any. */
export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Stores the token, or forgets it when `token` is null. */
export function writeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage can be disabled; the token then lasts until the page reloads.
  }
}
