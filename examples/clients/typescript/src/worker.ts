// A RustQueue remote worker: leases tasks of its handlers' types with long
// polling, renews the leases it holds every third of `leaseMs`, completes
// each task with its handler's result or fails it with the error
// (`PermanentError`: no retry), and stops gracefully: no new leases, the
// running tasks get `shutdownGraceMs` to finish, and the rest are handed back
// (released) so the restart uses up no attempt. Every call names the worker
// (`workerId`, by default `<hostname>:<pid>`).
//
//   const worker = new Worker(Client.fromEnv(), { RESIZE: (job) => ({ width: 640 }) });
//   await worker.runUntilSignal(); // Ctrl-C or SIGTERM: finish, then resolve
//
// When the server says a lease is gone (it expired and the task went back to
// the queue, or the task was deleted), `job.signal` aborts and whatever the
// handler returns is dropped: pass the signal to your own calls, or check
// `job.signal.aborted` now and then.

import { ApiError, Client, Json, LeaseLost, LeasedTask, Task, defaultWorkerId } from "./client.js";

/** Throw from a handler when retrying cannot help: the task ends FAILED at once. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PermanentError";
  }
}

/** One leased attempt, as a handler sees it. */
export class Job {
  private readonly lostController = new AbortController();

  constructor(
    readonly task: Task,
    readonly token: string,
  ) {}

  get id(): string {
    return this.task.id;
  }
  get type(): string {
    return this.task.type;
  }
  get payload(): Json {
    return this.task.payload;
  }
  /** 1 for the first attempt. */
  get attempt(): number {
    return this.task.attempts;
  }
  /** Aborts when the lease is lost. */
  get signal(): AbortSignal {
    return this.lostController.signal;
  }
  get lost(): boolean {
    return this.lostController.signal.aborted;
  }
  /** @internal */
  markLost(): void {
    this.lostController.abort(new Error(`the lease on task ${this.id} was lost`));
  }
}

export type Handler = (job: Job) => Json | undefined | Promise<Json | undefined>;

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface WorkerOptions {
  /** Tasks running at once (default 4, at most 500). */
  concurrency?: number;
  /** Lease length, renewed every third of it (default 30000). */
  leaseMs?: number;
  /** How long one lease call waits for work (default 20000, at most 60000). */
  waitMs?: number;
  /** This worker's id, the lease holder of its tasks (default `<hostname>:<pid>`). */
  workerId?: string;
  /** After `stop()`, how long running tasks get before they are handed back (default 30000). */
  shutdownGraceMs?: number;
  logger?: Logger;
}

export interface WorkerStats {
  leaseCalls: number;
  leased: number;
  completed: number;
  failed: number;
  /** Attempts whose lease was known lost: no answer sent. */
  dropped: number;
  /** Answers refused with 409: the lease was lost meanwhile. */
  rejected: number;
  /** Handed back at shutdown, past the grace period. */
  released: number;
}

type Outcome = { ok: true; result: Json } | { ok: false; error: string; permanent: boolean };

export class Worker {
  readonly stats: WorkerStats = {
    leaseCalls: 0, leased: 0, completed: 0, failed: 0, dropped: 0, rejected: 0, released: 0,
  };
  /** The id this worker gives the server. */
  readonly workerId: string;
  /** While true, no heartbeats are sent (tests use it to simulate a stalled worker). */
  heartbeatsPaused = false;

  private readonly handlers: Map<string, Handler>;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly shutdownGraceMs: number;
  private readonly log: Logger;
  private readonly running = new Map<Job, Promise<void>>();
  private stopping = false;
  private leaseAbort: AbortController | null = null;
  private wakeUp: (() => void) | null = null;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly client: Client,
    handlers: Record<string, Handler>,
    options: WorkerOptions = {},
  ) {
    this.handlers = new Map(Object.entries(handlers));
    this.concurrency = options.concurrency ?? 4;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.waitMs = options.waitMs ?? 20_000;
    this.workerId = options.workerId ?? defaultWorkerId();
    this.shutdownGraceMs = options.shutdownGraceMs ?? 30_000;
    this.log = options.logger ?? console;
    if (this.handlers.size === 0) throw new RangeError("a worker needs at least one handler");
    if (this.concurrency < 1 || this.concurrency > 500) throw new RangeError("concurrency must be 1 to 500");
  }

  /** Lease and run tasks until `stop()`; resolves once the running tasks
   * finished, or, past `shutdownGraceMs`, once the rest were handed back. */
  async run(): Promise<void> {
    const timer = setInterval(() => {
      this.beating ??= this.heartbeat().finally(() => (this.beating = null));
    }, this.leaseMs / 3);
    let pauseMs = 0;
    try {
      while (!this.stopping) {
        if (this.running.size >= this.concurrency) {
          await this.changed();
          continue;
        }
        this.leaseAbort = new AbortController();
        this.stats.leaseCalls += 1;
        let leases: LeasedTask[];
        try {
          leases = await this.client.lease({
            types: [...this.handlers.keys()],
            limit: this.concurrency - this.running.size,
            leaseMs: this.leaseMs,
            waitMs: this.waitMs,
            signal: this.leaseAbort.signal,
            workerId: this.workerId,
            concurrency: this.concurrency,
          });
          pauseMs = 0;
        } catch (error) {
          if (this.stopping) break; // stop() aborted the long poll
          pauseMs = Math.min(Math.max(pauseMs * 2, 500), 10_000);
          this.log.warn(`lease failed (${describe(error)}); again in ${pauseMs} ms`);
          await this.changed(pauseMs);
          continue;
        } finally {
          this.leaseAbort = null;
        }
        // Leased tasks run even when stopping: they are ours now.
        for (const lease of leases) this.start(new Job(lease.task, lease.token));
      }
    } finally {
      await this.settleOrGiveBack();
      clearInterval(timer);
      await this.beating;
    }
  }

  /** Waits up to the grace period for the running tasks, then hands the
   * rest back: their attempts do not count, and their handlers' outcomes are
   * dropped (`job.signal` aborts, so long handlers can give up). */
  private async settleOrGiveBack(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.shutdownGraceMs)));
    await Promise.race([Promise.allSettled(this.running.values()), grace]);
    clearTimeout(timer);
    const left = [...this.running.keys()].filter((job) => !job.lost);
    for (const job of left) job.markLost();
    for (let start = 0; start < left.length; start += 500) {
      const batch = left.slice(start, start + 500).map((job) => ({ task_id: job.id, token: job.token }));
      try {
        const answer = await this.client.release(batch, { workerId: this.workerId });
        this.stats.released += answer.released.length;
        this.log.info(`handed ${answer.released.length} running tasks back to the server`);
      } catch (error) {
        this.log.warn(`could not hand ${batch.length} tasks back (${describe(error)}); they run again when their leases expire`);
      }
    }
  }

  /** Graceful stop: lease nothing more (a waiting lease call ends at once);
   * the running tasks get `shutdownGraceMs` to finish, the rest are handed
   * back, and `run()` resolves. */
  stop(): void {
    this.stopping = true;
    this.leaseAbort?.abort();
    this.notify();
  }

  /** `run()` until SIGINT or SIGTERM, then stop gracefully; a second signal quits at once. */
  async runUntilSignal(): Promise<void> {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.log.info(`${signal}: finishing the running tasks (again to quit now)`);
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
      this.stop();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      await this.run();
    } finally {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    }
  }

  // --- one attempt ---------------------------------------------------------------

  private start(job: Job): void {
    for (const held of this.running.keys()) {
      if (held.id === job.id) held.markLost(); // the task was leased again: our older lease is gone
    }
    this.stats.leased += 1;
    const done = this.runJob(job).finally(() => {
      this.running.delete(job);
      this.notify();
    });
    this.running.set(job, done);
  }

  private async runJob(job: Job): Promise<void> {
    let outcome: Outcome;
    try {
      const handler = this.handlers.get(job.type);
      if (!handler) throw new PermanentError(`no handler for type ${job.type}`);
      outcome = { ok: true, result: (await handler(job)) ?? null };
    } catch (error) {
      const permanent = error instanceof PermanentError;
      const message = permanent ? error.message : describe(error);
      outcome = { ok: false, error: message, permanent };
    }
    await this.report(job, outcome);
  }

  private async report(job: Job, outcome: Outcome): Promise<void> {
    if (job.lost) {
      this.log.warn(`task ${job.id}: lease lost, dropping attempt ${job.attempt}`);
      this.stats.dropped += 1;
      return;
    }
    for (const retryInMs of [500, 1000, 2000, null]) {
      try {
        if (outcome.ok) {
          await this.client.complete(job.id, job.token, outcome.result, this.workerId);
          this.stats.completed += 1;
        } else {
          const status = await this.client.fail(job.id, job.token, outcome.error, outcome.permanent, this.workerId);
          this.log.info(`task ${job.id} attempt ${job.attempt} failed (${status}): ${outcome.error}`);
          this.stats.failed += 1;
        }
        return;
      } catch (error) {
        if (error instanceof LeaseLost) {
          this.log.warn(`task ${job.id}: lease lost before the answer (409), attempt ${job.attempt} dropped`);
          this.stats.rejected += 1;
          return;
        }
        const transient = !(error instanceof ApiError) || error.status >= 500;
        if (!transient || retryInMs === null) {
          this.log.error(`task ${job.id}: could not record the outcome (${describe(error)}); the lease will expire`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
  }

  // --- heartbeats ----------------------------------------------------------------

  private async heartbeat(): Promise<void> {
    if (this.heartbeatsPaused) return;
    const held = [...this.running.keys()].filter((job) => !job.lost);
    if (held.length === 0) return;
    try {
      const lost = new Set(
        await this.client.heartbeat(
          held.map((job) => ({ task_id: job.id, token: job.token })),
          this.leaseMs,
          this.workerId,
        ),
      );
      for (const job of held) {
        if (lost.has(job.id)) {
          this.log.warn(`task ${job.id}: lease lost, stopping attempt ${job.attempt}`);
          job.markLost();
        }
      }
    } catch (error) {
      this.log.warn(`heartbeat failed (${describe(error)}); again in ${Math.round(this.leaseMs / 3)} ms`);
    }
  }

  // --- waiting ---------------------------------------------------------------------

  /** Resolves when a task ends or stop() is called, or after `timeoutMs`. */
  private changed(timeoutMs?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.notify(), timeoutMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private notify(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = null;
    wakeUp?.();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}
