/**
 * The address bar as state: `/tasks/<id>` opens a task, the query string holds
 * the filters and the page's cursor, so a view can be bookmarked, shared and
 * reloaded; the cursors of the newer pages ride in the history entry's state,
 * so "Newer" and the back button walk back the way the reader came.
 */
import { useSyncExternalStore } from 'react';
import { STATUSES, type TaskFilter, type TaskStatus } from './services/types';

/** What the address says to show. */
export interface Route {
  taskId: string | null;
  filter: TaskFilter;
  /** The page of the list: null for the newest, else the previous page's `next_cursor`. */
  cursor: string | null;
  /** The cursors of the pages before this one (null for the newest), oldest first; null when unknown (a shared link). */
  trail: (string | null)[] | null;
}

/** The same filter from its first page. */
export function withFilter(route: Route, filter: TaskFilter): Route {
  return { ...route, filter, cursor: null, trail: [] };
}

function isStatus(value: string | null): value is TaskStatus {
  return value !== null && (STATUSES as readonly string[]).includes(value);
}

/** Reads a route from a path and query string, and the trail from the history entry's state. */
export function parseRoute(pathname: string, search: string, state: unknown = null): Route {
  const params = new URLSearchParams(search);
  const match = /^\/tasks\/([^/]+)\/?$/.exec(pathname);
  const status = params.get('status')?.toUpperCase() ?? null;
  return {
    taskId: match?.[1] ? decodeURIComponent(match[1]) : null,
    filter: {
      status: isStatus(status) ? status : null,
      type: params.get('type') || null,
      queue: params.get('queue') || null,
      q: params.get('q') || null,
    },
    cursor: params.get('cursor') || null,
    trail: readTrail(state),
  };
}

function readTrail(state: unknown): (string | null)[] | null {
  if (typeof state !== 'object' || state === null || !('trail' in state) || !Array.isArray(state.trail)) return null;
  const trail: unknown[] = state.trail;
  return trail.every((c) => c === null || typeof c === 'string') ? trail : null;
}

/** The address of a route. */
export function routeHref(route: Route): string {
  const params = new URLSearchParams();
  const { status, type, queue, q } = route.filter;
  if (status) params.set('status', status);
  if (type) params.set('type', type);
  if (queue) params.set('queue', queue);
  if (q) params.set('q', q);
  if (route.cursor) params.set('cursor', route.cursor);
  const path = route.taskId ? `/tasks/${encodeURIComponent(route.taskId)}` : '/';
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

const listeners = new Set<() => void>();
let cached: { key: string; route: Route } | null = null;

function current(): Route {
  const state: unknown = window.history.state;
  const key = window.location.pathname + window.location.search + JSON.stringify(state);
  if (cached?.key !== key) cached = { key, route: parseRoute(window.location.pathname, window.location.search, state) };
  return cached.route;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

/** Goes to a route; `replace` for changes that should not add a history entry (typing a search). */
export function navigate(route: Route, replace = false): void {
  const href = routeHref(route);
  const state = { trail: route.cursor ? route.trail : [] };
  if (href === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(state, '', href);
  else window.history.pushState(state, '', href);
  listeners.forEach((listener) => {
    listener();
  });
}

/** The current route, re-rendering on navigation and on the back button. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, current, current);
}
