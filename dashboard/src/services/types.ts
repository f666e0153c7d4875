/**
 * The API's types, taken from the server's OpenAPI document (`schema.d.ts` is
 * generated from `openapi.json` by `npm run api:types`; a test keeps the copy in
 * step with what the server serves).
 */
import type { components } from './schema';

type Schemas = components['schemas'];

/** Any JSON value: what a task's payload and result may be. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** QUEUED, INPROGRESS, COMPLETED or FAILED. */
export type TaskStatus = Schemas['TaskStatus'];

/** What happened to a task: one history entry per transition. */
export type EventKind = Schemas['EventKind'];

/**
 * One task. The document declares `payload` and `result` as objects, but the
 * server keeps any JSON value there (the original clients send strings), so
 * they are widened to {@link JsonValue}.
 */
export type Task = Omit<Schemas['Task'], 'payload' | 'result'> & {
  payload: JsonValue;
  result?: JsonValue | null;
};

/** A page of tasks and the cursor of the next one. */
export type TaskPage = Omit<Schemas['TaskPage'], 'tasks'> & { tasks: Task[] };

/** One entry of a task's history. */
export type TaskEvent = Schemas['TaskEvent'];

/** The QUEUED tasks told apart: due now, waiting for their time, waiting to retry. */
export type Backlog = Schemas['Backlog'];

/** Tasks per status, overall, per type and per queue, with the backlog overall and per queue. */
export type TaskCounts = Schemas['TaskCounts'];

/** A queue, whether it is paused, its tasks per status, its backlog and how long its oldest due task has waited. */
export type QueueInfo = Schemas['QueueInfo'];

/** How many of a queue's tasks may run at once, overall and per concurrency key; `{}` limits nothing. */
export type QueueLimits = Schemas['QueueLimits'];

/** One concurrency key of a queue and how many of its tasks run now. */
export type KeyUsage = Schemas['KeyUsage'];

/** A task type the server runs: locally, or by remote workers (how many are live). */
export type TaskTypeInfo = Schemas['TaskTypeInfo'];

/** A task a worker is running. */
export type RunningTask = Schemas['RunningTask'];

/** A worker: a server node or a remote process, what it runs and when it was last heard from. */
export type WorkerInfo = Schemas['Worker'];

/** Completed and failed tasks per interval over the last 15 minutes, oldest first. */
export type ThroughputHistory = Schemas['Throughput'];

/** A task to enqueue with every field a caller may set. */
export type NewTask = Omit<Schemas['NewTaskBody'], 'payload'> & { payload: JsonValue };

/** The answer to an enqueue. */
export type EnqueuedTask = Omit<Schemas['EnqueuedTask'], 'task'> & { task: Task };

/** The data of a `task` event on the live stream. */
export type TaskTransition = Schemas['TaskTransition'];

/** Which tasks a list or a bulk action concerns. */
export type TaskFilter = Pick<Schemas['FilterParams'], 'type' | 'queue' | 'q'> & {
  status?: TaskStatus | null;
};

/** What a bulk retry did. */
export type BulkRetried = Schemas['BulkRetried'];

/** What a bulk delete did. */
export type BulkDeleted = Schemas['BulkDeletedResponse'];

/** A message-only answer. */
export type MessageResponse = Schemas['MessageResponse'];

/** A cron entry: its schedule, the task each tick enqueues, its last and next run. */
export type CronEntry = Omit<Schemas['CronEntryInfo'], 'payload'> & { payload: JsonValue };

/** How long the server keeps finished tasks (null: forever). */
export type RetentionInfo = Schemas['RetentionInfo'];

/** Every status, in the order of a task's life. */
export const STATUSES: readonly TaskStatus[] = ['QUEUED', 'INPROGRESS', 'COMPLETED', 'FAILED'];
