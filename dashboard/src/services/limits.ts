/** Queue concurrency limits: the shape the API sends and takes, and the call that sets them. */
import { request } from './http';
import type { QueueInfo } from './types';

/** A queue's limits; `{}` means unlimited. Hand-typed until the generated schema has them. */
export interface QueueLimits {
  concurrency?: number;
  per_key_limit?: number;
  key_limits?: Record<string, number>;
}

/** One concurrency key and how many of its tasks run now. */
export interface KeyUsage {
  key: string;
  running: number;
}

/** A queue as `GET /api/queues` lists it once limits exist; both fields may be missing. */
export type LimitedQueueInfo = QueueInfo & { limits?: QueueLimits; busiest_keys?: KeyUsage[] };

/** Set (or with `{}` remove) a queue's limits; the server answers 422 with a detail on bad input. */
export function setQueueLimits(name: string, limits: QueueLimits): Promise<QueueInfo> {
  return request<QueueInfo>(`/api/queues/${encodeURIComponent(name)}/limits`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(limits),
  });
}

/** "3 / 5 running" for a queue-wide limit, or null when the queue has none. */
export function describeConcurrency(running: number, limits: QueueLimits | undefined): string | null {
  return limits?.concurrency === undefined ? null : `${running} / ${limits.concurrency} running`;
}

/** "2 per key", or null when tasks are not limited per key. */
export function describePerKey(limits: QueueLimits | undefined): string | null {
  return limits?.per_key_limit === undefined ? null : `${limits.per_key_limit} per key`;
}

/** True when the queue runs at its limit while ready tasks wait: held back, not stuck. */
export function isHeldBack(running: number, ready: number, limits: QueueLimits | undefined): boolean {
  return limits?.concurrency !== undefined && running >= limits.concurrency && ready > 0;
}

/** The three busiest keys as "key · running", busiest first. */
export function topKeys(busiest: KeyUsage[] | undefined): string[] {
  return [...(busiest ?? [])]
    .sort((a, b) => b.running - a.running)
    .slice(0, 3)
    .map((usage) => `${usage.key} · ${usage.running}`);
}

/** A whole number ≥ 1 from a form field, undefined when blank, or an error message. */
export function parseLimit(field: string, text: string): number | undefined | { error: string } {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1) {
    return { error: `${field} must be a whole number of at least 1` };
  }
  return Number(trimmed);
}
