/** Calls on queues, counts, task types, workers and throughput. */
import { request } from './http';
import type { QueueInfo, TaskCounts, TaskTypeInfo, ThroughputHistory, WorkerInfo } from './types';

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

/** Every worker, local and remote, with what it runs. */
export function getWorkers(): Promise<WorkerInfo[]> {
  return request<WorkerInfo[]>('/api/workers');
}

/** Completed and failed tasks over the last 15 minutes, as the server counted them. */
export function getThroughput(): Promise<ThroughputHistory> {
  return request<ThroughputHistory>('/api/throughput');
}
