/** Small factories for tests: a valid value, with whatever a test cares about overridden. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createElement, type ReactNode } from 'react';
import type { CronEntry, Task, TaskEvent, TaskTypeInfo } from '../services/types';

let serial = 0;

/** A task; ids sort by creation like the server's UUIDv7s. */
export function makeTask(overrides: Partial<Task> = {}): Task {
  serial += 1;
  const at = '2026-11-28T04:29:22.108Z';
  return {
    id: `01a2206a-393c-7065-9572-${String(serial).padStart(12, '0')}`,
    type: 'EMAIL',
    payload: 'hello@example.com',
    queue: 'default',
    priority: 0,
    status: 'QUEUED',
    attempts: 0,
    max_retries: 3,
    created_at: at,
    updated_at: at,
    run_at: at,
    started_at: null,
    finished_at: null,
    last_error: null,
    result: null,
    unique_key: null,
    timeout_ms: null,
    ...overrides,
  };
}

/** One history entry. */
export function makeEvent(overrides: Partial<TaskEvent> = {}): TaskEvent {
  return { task_id: 'x', at: '2026-11-28T04:29:22.108Z', kind: 'enqueued', attempt: 0, message: null, ...overrides };
}

/** The demo types, as `GET /api/types` lists them. */
export const demoTypes: TaskTypeInfo[] = [
  { name: 'EMAIL', description: 'demo: succeeds after 2 s', local: true, workers: 0 },
  { name: 'FAILABS', description: 'demo: always fails after 1 s', local: true, workers: 0 },
];

/** A fetch answer with a JSON body. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** A cron entry, enabled, that ran once and runs again. */
export function makeCronEntry(overrides: Partial<CronEntry> = {}): CronEntry {
  return {
    name: 'nightly-report',
    schedule: '0 0 3 * * *',
    timezone: 'Europe/Paris',
    type: 'REPORT',
    payload: { kind: 'daily' },
    queue: 'reports',
    priority: 0,
    max_retries: 3,
    backfill: false,
    enabled: true,
    last_run: '2026-11-28T02:00:00Z',
    last_enqueued_at: '2026-11-28T02:00:00.012Z',
    last_task_id: '01a2206a-393c-7065-9572-000000000001',
    next_run: '2026-11-29T02:00:00Z',
    ...overrides,
  };
}

/** A fresh query client for a component test, without retries, and its provider. */
export function withQueryClient(): { client: QueryClient; wrapper: (props: { children: ReactNode }) => ReactNode } {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  return { client, wrapper: ({ children }) => createElement(QueryClientProvider, { client }, children) };
}

/** The backlog fields of counts with nothing waiting, for counts a test spells out. */
export const noBacklog = { backlog: { ready: 0, scheduled: 0, retrying: 0, oldest_ready_at: null }, backlog_by_queue: {} };
