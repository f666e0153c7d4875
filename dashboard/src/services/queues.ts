/** Calls on queues, counts and task types. */
import { request } from './http';
import type { QueueInfo, TaskCounts, TaskTypeInfo } from './types';

/** Tasks per status, type and queue. */
export function getCounts(): Promise<TaskCounts> {
  return request<TaskCounts>('/api/counts');
}

/** Every queue with its paused flag and counts. */
export function getQueues(): Promise<QueueInfo[]> {
  return request<QueueInfo[]>('/api/queues');
}

/** The task types the server runs. */
export function getTypes(): Promise<TaskTypeInfo[]> {
  return request<TaskTypeInfo[]>('/api/types');
}

/** Pause or resume a queue. */
export function setQueuePaused(name: string, paused: boolean): Promise<QueueInfo> {
  const action = paused ? 'pause' : 'resume';
  return request<QueueInfo>(`/api/queues/${encodeURIComponent(name)}/${action}`, { method: 'POST' });
}
