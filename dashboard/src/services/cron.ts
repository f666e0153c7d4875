/** Calls on cron entries and on the server's retention. */
import { request } from './http';
import type { CronEntry, EnqueuedTask, RetentionInfo, Task } from './types';

/** Every cron entry with its last and next run. */
export function getCronEntries(): Promise<CronEntry[]> {
  return request<CronEntry[]>('/api/cron');
}

/** Enable or disable a cron entry on every node. */
export function setCronEnabled(name: string, enabled: boolean): Promise<CronEntry> {
  const action = enabled ? 'enable' : 'disable';
  return request<CronEntry>(`/api/cron/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
}

/** How long the server keeps finished tasks. */
export function getRetention(): Promise<RetentionInfo> {
  return request<RetentionInfo>('/api/retention');
}

/** Enqueue the entry's task now, outside its schedule. */
export async function runCronNow(name: string): Promise<Task> {
  const answer = await request<EnqueuedTask>(`/api/cron/${encodeURIComponent(name)}/run`, { method: 'POST' });
  return answer.task;
}
