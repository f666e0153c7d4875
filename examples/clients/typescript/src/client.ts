// A small RustQueue client for Node 20+, on the built-in fetch: enqueue
// tasks (one or a batch), read them back, and the calls of the worker
// protocol (lease, heartbeat, complete, fail, release), each naming the
// worker. No dependencies.

import { hostname } from "node:os";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type TaskStatus = "QUEUED" | "INPROGRESS" | "COMPLETED" | "FAILED";

export interface Task {
  id: string;
  type: string;
  payload: Json;
  queue: string;
  priority: number;
  status: TaskStatus;
  /** Attempts started, this one included. */
  attempts: number;
  /** The most attempts in total. */
  max_retries: number;
  created_at: string;
  updated_at: string;
  run_at: string;
  started_at: string | null;
  finished_at: string | null;
  last_error: string | null;
  result: Json;
  unique_key: string | null;
  timeout_ms: number | null;
  /** Who holds the lease while it runs (a worker id, or a server node's `node:...`). */
  worker: string | null;
}

/** The body of `POST /api/tasks` (and of each task in a batch). */
export interface NewTask {
  type: string;
  payload?: Json;
  queue?: string;
  priority?: number;
  max_retries?: number;
  run_at?: string;
  delay_ms?: number;
  unique_key?: string;
  timeout_ms?: number;
}

export interface Enqueued {
  task: Task;
  /** True when nothing was created: an unfinished task already held the unique key. */
  duplicate: boolean;
}

export interface TaskEvent {
  task_id: string;
  at: string;
  kind: string;
  attempt: number;
  message: string | null;
}

export interface LeasedTask {
  task: Task;
  /** A decimal string: JSON numbers lose precision past 2^53. */
  token: string;
  expires_at: string;
}

export interface HeldLease {
  task_id: string;
  token: string;
}

export interface LeaseOptions {
  types: string[];
  /** The most tasks to lease (default 1, at most 500). */
  limit?: number;
  /** How long the leases last without a heartbeat (default: the server's). */
  leaseMs?: number;
  /** When nothing is ready, wait up to this long for work (at most 60000). */
  waitMs?: number;
  /** Aborting it ends the call (and a long poll) at once. */
  signal?: AbortSignal;
  /** Who asks (the lease holder of the tasks it gets); sent with this host and pid. */
  workerId?: string;
  /** How many tasks the worker runs at once, shown by `GET /api/workers`. */
  concurrency?: number;
}

/** What became of leases handed back. */
export interface Released {
  /** Queued again, their attempts not counted. */
  released: string[];
  /** No longer held: nothing was done. */
  lost: string[];
}

/** `<hostname>:<pid>`, what `rustqueue worker` calls itself too. */
export function defaultWorkerId(): string {
  return `${hostname()}:${process.pid}`;
}

/** The server answered with an error status; `detail` is its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
  ) {
    super(`${status}: ${detail}`);
    this.name = "ApiError";
  }
}

/** 409: the lease is no longer held (expired and rescued, or the task was deleted). */
export class LeaseLost extends ApiError {
  constructor(detail: string) {
    super(409, detail);
    this.name = "LeaseLost";
  }
}

export interface ClientOptions {
  /** Sent as `Authorization: Bearer <token>` (servers started with `--api-token`). */
  token?: string;
  /** Per call, on top of a lease's `waitMs` (default 30000). */
  timeoutMs?: number;
}

/** The HTTP API. Calls reject with `ApiError` on a 4xx/5xx answer and with
 * fetch's `TypeError` when the server cannot be reached. */
export class Client {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  /** A client for the server the `rustqueue` CLI would use: `RUSTQUEUE_SERVER`
   * (default `http://127.0.0.1:8000`) and `RUSTQUEUE_API_TOKEN`. The older
   * `RUSTQUEUE_URL` and `RUSTQUEUE_TOKEN` are still read when those are unset (deprecated). */
  static fromEnv(options: Omit<ClientOptions, "token"> = {}, env: NodeJS.ProcessEnv = process.env): Client {
    const url = env.RUSTQUEUE_SERVER || env.RUSTQUEUE_URL || "http://127.0.0.1:8000";
    const token = env.RUSTQUEUE_API_TOKEN || env.RUSTQUEUE_TOKEN;
    return new Client(url, token ? { ...options, token } : options);
  }

  /** Whether calls send a bearer token. */
  get hasToken(): boolean {
    return this.token !== undefined;
  }

  constructor(baseUrl = "http://127.0.0.1:8000", options: ClientOptions = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** One call; resolves to the decoded JSON answer. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs);
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      body: body === undefined ? null : JSON.stringify(body),
      signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout,
    });
    const text = await response.text();
    let answer: unknown = null;
    try {
      answer = text === "" ? null : JSON.parse(text);
    } catch (error) {
      if (response.ok) throw error; // not JSON: fine for an error (a proxy's page), not for an answer
    }
    if (!response.ok) {
      const detail = isObject(answer) && typeof answer.detail === "string" ? answer.detail : text;
      throw response.status === 409 ? new LeaseLost(detail) : new ApiError(response.status, detail);
    }
    return answer as T;
  }

  // --- producers -------------------------------------------------------------

  /** The original route, `POST /api/enqueue`. */
  async enqueue(tType: string, payload: Json): Promise<Task> {
    const answer = await this.request<{ task: Task }>("POST", "/api/enqueue", { payload, t_type: tType });
    return answer.task;
  }

  /** `POST /api/tasks`, with every option. */
  addTask(task: NewTask): Promise<Enqueued> {
    return this.request<Enqueued>("POST", "/api/tasks", task);
  }

  /** `POST /api/tasks/batch`: up to 10,000 tasks, all or nothing; the answer is in order. */
  async addTasks(tasks: NewTask[]): Promise<Enqueued[]> {
    const answer = await this.request<{ tasks: Enqueued[] }>("POST", "/api/tasks/batch", { tasks });
    return answer.tasks;
  }

  getTask(id: string): Promise<Task> {
    return this.request<Task>("GET", `/api/tasks/${encodeURIComponent(id)}`);
  }

  /** The task's history, oldest first. */
  taskEvents(id: string): Promise<TaskEvent[]> {
    return this.request<TaskEvent[]>("GET", `/api/tasks/${encodeURIComponent(id)}/events`);
  }

  // --- the worker protocol -----------------------------------------------------

  /** Lease up to `limit` ready tasks; with `waitMs` the server holds the call until work arrives. */
  async lease(options: LeaseOptions): Promise<LeasedTask[]> {
    const waitMs = options.waitMs ?? 0;
    const body = {
      types: options.types,
      limit: options.limit ?? 1,
      wait_ms: waitMs,
      ...(options.leaseMs === undefined ? {} : { lease_ms: options.leaseMs }),
      ...(options.workerId === undefined ? {} : { worker_id: options.workerId, hostname: hostname(), pid: process.pid }),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    };
    const answer = await this.request<{ leases: LeasedTask[] }>("POST", "/api/worker/lease", body, {
      timeoutMs: this.timeoutMs + waitMs,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return answer.leases;
  }

  /** Renew leases; resolves to the task ids whose lease is gone. */
  async heartbeat(leases: HeldLease[], leaseMs?: number, workerId?: string): Promise<string[]> {
    const body = { leases, ...(leaseMs === undefined ? {} : { lease_ms: leaseMs }), ...named(workerId) };
    const answer = await this.request<{ lost: string[] }>("POST", "/api/worker/heartbeat", body);
    return answer.lost;
  }

  /** Resolves to `"COMPLETED"`; rejects with `LeaseLost` when the lease is gone. */
  async complete(taskId: string, token: string, result: Json = null, workerId?: string): Promise<TaskStatus> {
    const body = { task_id: taskId, token, result, ...named(workerId) };
    return (await this.request<{ status: TaskStatus }>("POST", "/api/worker/complete", body)).status;
  }

  /** Resolves to `"QUEUED"` (to be retried) or `"FAILED"`; rejects with `LeaseLost` when the lease is gone. */
  async fail(taskId: string, token: string, error: string, permanent = false, workerId?: string): Promise<TaskStatus> {
    const body = { task_id: taskId, token, error, permanent, ...named(workerId) };
    return (await this.request<{ status: TaskStatus }>("POST", "/api/worker/fail", body)).status;
  }

  /** Hand up to 500 leases back without using their attempts: each task is
   * `QUEUED` again (after `delayMs`). */
  release(leases: HeldLease[], options: { delayMs?: number; workerId?: string } = {}): Promise<Released> {
    const body = {
      leases,
      ...(options.delayMs === undefined ? {} : { delay_ms: options.delayMs }),
      ...named(options.workerId),
    };
    return this.request<Released>("POST", "/api/worker/release", body);
  }
}

function named(workerId: string | undefined): { worker_id?: string } {
  return workerId === undefined ? {} : { worker_id: workerId };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
