/**
 * The address bar as state: `/tasks/<id>` opens a task, the query string holds
 * the filters, so a view can be bookmarked, shared and reloaded.
 */
import { useSyncExternalStore } from 'react';
import { STATUSES, type TaskFilter, type TaskStatus } from './services/types';

/** What the address says to show. */
export interface Route {
  taskId: string | null;
  filter: TaskFilter;
}

function isStatus(value: string | null): value is TaskStatus {
  return value !== null && (STATUSES as readonly string[]).includes(value);
}

/** Reads a route from a path and query string. */
export function parseRoute(pathname: string, search: string): Route {
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
  };
}

/** The address of a route. */
export function routeHref(route: Route): string {
  const params = new URLSearchParams();
  const { status, type, queue, q } = route.filter;
  if (status) params.set('status', status);
  if (type) params.set('type', type);
  if (queue) params.set('queue', queue);
  if (q) params.set('q', q);
  const path = route.taskId ? `/tasks/${encodeURIComponent(route.taskId)}` : '/';
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

const listeners = new Set<() => void>();
let cached: { key: string; route: Route } | null = null;

function current(): Route {
  const key = window.location.pathname + window.location.search;
  if (cached?.key !== key) cached = { key, route: parseRoute(window.location.pathname, window.location.search) };
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
  if (href === window.location.pathname + window.location.search) return;
  if (replace) window.history.replaceState(null, '', href);
  else window.history.pushState(null, '', href);
  listeners.forEach((listener) => {
    listener();
  });
}

/** The current route, re-rendering on navigation and on the back button. */
export function useRoute(): Route {
  return useSyncExternalStore(subscribe, current, current);
}
