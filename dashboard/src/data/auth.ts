/** Whether the server wants an API token, and the token this tab sends. */
import { onUnauthorized } from '../services/http';
import { readToken, writeToken } from '../services/token';
import { createStore } from './store';

/** What the token prompt needs to know. */
export interface AuthState {
  /** The server's reason when it refused a call (401); null when all is well. */
  refused: string | null;
  /** Whether a token is stored. */
  hasToken: boolean;
  /** Bumped on every token change, so the live stream reconnects with it. */
  version: number;
}

/** The current auth state. */
export const authStore = createStore<AuthState>({ refused: null, hasToken: readToken() !== null, version: 0 });

onUnauthorized((detail) => {
  authStore.set((state) => (state.refused === detail ? state : { ...state, refused: detail }));
});

/** Stores a token (or forgets it with null) and lets every call try again. */
export function saveToken(token: string | null): void {
  writeToken(token);
  authStore.set((state) => ({ refused: null, hasToken: token !== null, version: state.version + 1 }));
}
