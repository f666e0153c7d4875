/** Calls on tasks: pages, one task, its history, enqueue, retry, delete, bulk actions. */
import { jsonBody, request } from './http';
import type {
  BulkDeleted,
  BulkRetried,
  EnqueuedTask,
  MessageResponse,
  NewTask,
  Task,
  TaskEvent,
  TaskFilter,
  TaskPage,
} from './types';

/** The smallest search the server accepts. */
export const MIN_SEARCH = 3;

/** The filter as the server reads it: empty fields dropped, short searches ignored. */
export function filterParams(filter: TaskFilter): Record<string, string> {
  const params: Record<string, string> = {};
  if (filter.status) params.status = filter.status;
  if (filter.type) params.type = filter.type;
  if (filter.queue) params.queue = filter.queue;
  const q = filter.q?.trim();
  if (q && q.length >= MIN_SEARCH) params.q = q;
  return params;
}

/** One page of tasks, newest first; `cursor` is the previous page's `next_cursor`; `signal` aborts it. */
export function listTasks(filter: TaskFilter, cursor: string | null, limit: number, signal?: AbortSignal): Promise<TaskPage> {
  const params = new URLSearchParams({ ...filterParams(filter), limit: String(limit) });
  if (cursor) params.set('cursor', cursor);
  return request<TaskPage>(`/api/tasks?${params.toString()}`, { signal });
}

/** One task. */
export function getTask(id: string): Promise<Task> {
  return request<Task>(`/api/tasks/${encodeURIComponent(id)}`);
}

/** A task's history, oldest first. */
export function getHistory(id: string): Promise<TaskEvent[]> {
  return request<TaskEvent[]>(`/api/tasks/${encodeURIComponent(id)}/events`);
}

/** Enqueue one task. */
export function enqueueTask(task: NewTask): Promise<EnqueuedTask> {
  return request<EnqueuedTask>('/api/tasks', jsonBody(task));
}

/** Enqueue several tasks at once, all or nothing. */
export async function enqueueBatch(tasks: NewTask[]): Promise<EnqueuedTask[]> {
  const answer = await request<{ tasks: EnqueuedTask[] }>('/api/tasks/batch', jsonBody({ tasks }));
  return answer.tasks;
}

/** Queue a FAILED task again. */
export function retryTask(id: string): Promise<Task> {
  return request<Task>(`/api/tasks/${encodeURIComponent(id)}/retry`, { method: 'POST' });
}

/** Delete a task (cancelling it if it runs). */
export function deleteTask(id: string): Promise<MessageResponse> {
  return request<MessageResponse>(`/api/tasks/${encodeURIComponent(id)}`, { method: 'DELETE' });
}

/**
 * Which tasks a bulk action touches: these ids, what a non-empty filter matches,
 * or every task (the server wants that said out loud, not as an empty filter).
 */
export type Selection = { ids: string[] } | { filter: Record<string, string> } | { all: true };

/** The selection of what `filter` matches: the filter as the server reads it, or every task when it is empty. */
export function matching(filter: TaskFilter): Selection {
  const params = filterParams(filter);
  return Object.keys(params).length > 0 ? { filter: params } : { all: true };
}

/** Queue again every FAILED task of the selection; other tasks are left alone. */
export function retryMany(selection: Selection): Promise<BulkRetried> {
  return request<BulkRetried>('/api/tasks/bulk/retry', jsonBody(selection));
}

/** Delete every task of the selection. */
export function deleteMany(selection: Selection): Promise<BulkDeleted> {
  return request<BulkDeleted>('/api/tasks/bulk/delete', jsonBody(selection));
}
