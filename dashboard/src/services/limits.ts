/** Queue concurrency limits: the shape the API sends and takes, and the call that sets them. */
import { request } from './http';
import type { KeyUsage, QueueInfo, QueueLimits } from './types';

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
  return limits?.concurrency == null ? null : `${running} / ${limits.concurrency} running`;
}

/** "2 per key", or null when tasks are not limited per key. */
export function describePerKey(limits: QueueLimits | undefined): string | null {
  return limits?.per_key_limit == null ? null : `${limits.per_key_limit} per key`;
}

/** True when the queue runs at its limit while ready tasks wait: held back, not stuck. */
export function isHeldBack(running: number, ready: number, limits: QueueLimits | undefined): boolean {
  return limits?.concurrency != null && running >= limits.concurrency && ready > 0;
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

/** "gold=10" lines, one per named key, as the limits form shows them. */
export function formatKeyLimits(keyLimits: Record<string, number> | undefined): string {
  return Object.entries(keyLimits ?? {})
    .map(([key, limit]) => `${key}=${limit}`)
    .join('\n');
}

/** Named keys' limits from "key=N" lines (blank lines skipped), or an error message naming the line. */
export function parseKeyLimits(text: string): { limits: Record<string, number> } | { error: string } {
  const limits: Record<string, number> = {};
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const at = line.lastIndexOf('=');
    const key = at > 0 ? line.slice(0, at).trim() : '';
    const limit = parseLimit(`The limit of key ${key}`, at > 0 ? line.slice(at + 1) : '');
    if (key === '' || limit === undefined) return { error: `Line ${index + 1}: write a key, "=" and its limit, as gold=10` };
    if (typeof limit === 'object') return limit;
    if (Object.hasOwn(limits, key)) return { error: `Key ${key} is named twice` };
    limits[key] = limit;
  }
  return { limits };
}

/** The form's three fields as limits to send, or the first error; blank fields mean no such limit. */
export function toQueueLimits(fields: { concurrency: string; perKey: string; keyLimits: string; roundRobin: boolean }): QueueLimits | { error: string } {
  const concurrency = parseLimit('Concurrency', fields.concurrency);
  if (typeof concurrency === 'object') return concurrency;
  const perKey = parseLimit('The per-key limit', fields.perKey);
  if (typeof perKey === 'object') return perKey;
  const named = parseKeyLimits(fields.keyLimits);
  if ('error' in named) return named;
  const limits: QueueLimits = {};
  if (concurrency !== undefined) limits.concurrency = concurrency;
  if (perKey !== undefined) limits.per_key_limit = perKey;
  if (Object.keys(named.limits).length > 0) limits.key_limits = named.limits;
  if (fields.roundRobin) limits.fairness = 'round_robin';
  return limits;
}
