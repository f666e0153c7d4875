// Tests of client.ts and worker.ts against a real server on a free port:
//   npm run build && npm test
// The server is $RUSTQUEUE_BIN, by default target/debug/rustqueue in the repo.

import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { after, before, beforeEach, describe, it, TestContext } from "node:test";

import { ApiError, Client, Json, LeaseLost, Task, TaskStatus } from "../src/client.js";
import { resize } from "../src/example-worker.js";
import { Handler, Job, Worker, WorkerOptions } from "../src/worker.js";

const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
const EXAMPLE_WORKER = fileURLToPath(new URL("../src/example-worker.js", import.meta.url));
const LEASE_MS = 2000; // the server's --lease-secs below

let server: ChildProcess | undefined;
let serverLog = "";
let url = "";

/** Polls `condition` until it yields a truthy value; fails after `timeoutMs`. */
async function waitUntil<T>(condition: () => T | Promise<T>, timeoutMs: number, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** `promise`'s value, or a failure after `timeoutMs`. */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<void> {
  const binary = process.env.RUSTQUEUE_BIN ?? `${REPO}target/debug/rustqueue`;
  if (!existsSync(binary)) throw new Error(`${binary} not found: run \`cargo build --bin rustqueue\` or set RUSTQUEUE_BIN`);
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("RUSTQUEUE_")));
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort(); // another process may take it first: then try another
    serverLog = "";
    const child = spawn(
      binary,
      ["serve", "--bind", `127.0.0.1:${port}`, "--database-url", "memory://", "--remote-types", "RESIZE,FLAKY",
        "--demo-speed", "1000", "--lease-secs", String(LEASE_MS / 1000)],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    server = child;
    child.stdout.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (serverLog += chunk.toString()));
    const client = new Client(`http://127.0.0.1:${port}`, { timeoutMs: 2000 });
    const deadline = Date.now() + 30_000;
    while (child.exitCode === null && Date.now() < deadline) {
      try {
        await client.request("GET", "/healthz");
        url = client.baseUrl;
        return;
      } catch {
        await sleep(50);
      }
    }
    const exited = child.exitCode !== null;
    await stopServer();
    if (!(exited && serverLog.includes("in use"))) throw new Error(`the server did not start:\n${serverLog}`);
  }
  throw new Error("no free port");
}

async function stopServer(): Promise<void> {
  const child = server;
  server = undefined;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

process.on("exit", () => server?.kill("SIGKILL")); // even if the runner is torn down early

/** Collects a worker's log lines instead of printing them. */
function recorder(): { lines: string[]; info(m: string): void; warn(m: string): void; error(m: string): void } {
  const lines: string[] = [];
  const note = (message: string): void => void lines.push(message);
  return { lines, info: note, warn: note, error: note };
}

describe("RustQueue TypeScript client", () => {
  let client: Client;

  before(startServer);
  after(stopServer);
  beforeEach(async () => {
    client = new Client(url, { timeoutMs: 10_000 });
    await client.request("POST", "/api/clear");
  });

  /** A worker in this process, stopped (and awaited) at the end of the test. */
  function startWorker(t: TestContext, handlers: Record<string, Handler>, options: WorkerOptions = {}) {
    const logger = recorder();
    const worker = new Worker(client, handlers, { leaseMs: LEASE_MS, waitMs: 1000, logger, ...options });
    let finished = false;
    const running = worker.run().finally(() => (finished = true));
    t.after(async () => {
      worker.stop();
      await within(running, 10_000, "the worker to stop");
    });
    return { worker, running, logger, isRunning: () => !finished };
  }

  async function waitForStatus(id: string, statuses: TaskStatus[], timeoutMs = 15_000): Promise<Task> {
    return waitUntil(
      async () => {
        const task = await client.getTask(id);
        return statuses.includes(task.status) ? task : null;
      },
      timeoutMs,
      `task ${id} to be ${statuses.join("/")}`,
    );
  }

  async function waitForEvent(id: string, kind: string, timeoutMs = 15_000): Promise<void> {
    await waitUntil(async () => (await client.taskEvents(id)).some((e) => e.kind === kind), timeoutMs, `a ${kind} event on task ${id}`);
  }

  const ended: TaskStatus[] = ["COMPLETED", "FAILED"];

  it("enqueues one task and a batch and reads them back", async () => {
    const original = await client.enqueue("RESIZE", { width: 1 });
    assert.deepEqual([original.type, original.status, original.payload], ["RESIZE", "QUEUED", { width: 1 }]);

    const added = await client.addTask({ type: "RESIZE", payload: { width: 2 }, priority: 5, max_retries: 7, unique_key: "img-2" });
    assert.equal(added.duplicate, false);
    assert.deepEqual([added.task.priority, added.task.max_retries], [5, 7]);
    const again = await client.addTask({ type: "RESIZE", payload: { width: 99 }, unique_key: "img-2" });
    assert.equal(again.duplicate, true);
    assert.equal(again.task.id, added.task.id);

    const batch = await client.addTasks([
      { type: "RESIZE", payload: { width: 3 } },
      { type: "FLAKY", payload: [1, "two"], queue: "q" },
    ]);
    assert.deepEqual(batch.map((entry) => entry.task.payload), [{ width: 3 }, [1, "two"]]);

    for (const task of [original, added.task, ...batch.map((entry) => entry.task)]) {
      const stored = await client.getTask(task.id);
      assert.deepEqual([stored.status, stored.payload], ["QUEUED", task.payload]);
    }

    await assert.rejects(client.addTask({ type: "NOPE" }), (error: unknown) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 422);
      assert.match(error.detail, /unknown task type/);
      return true;
    });
    await assert.rejects(client.getTask("no-such-task"), (error: unknown) => error instanceof ApiError && error.status === 404);
  });

  it("runs tasks to COMPLETED with the handler's result", async (t) => {
    const ids = [(await client.enqueue("RESIZE", { width: 10 })).id, (await client.addTask({ type: "RESIZE", payload: { width: 20 } })).task.id];
    const batch = await client.addTasks([30, 40, 50].map((width) => ({ type: "RESIZE", payload: { width } })));
    ids.push(...batch.map((entry) => entry.task.id));
    const { worker } = startWorker(t, { RESIZE: resize }, { concurrency: 2 });

    for (const [i, width] of [10, 20, 30, 40, 50].entries()) {
      const task = await waitForStatus(ids[i]!, ended);
      assert.equal(task.status, "COMPLETED", task.last_error ?? "");
      assert.deepEqual([task.result, task.attempts], [{ width, url: null }, 1]);
    }
    await waitUntil(() => worker.stats.completed === 5, 5000, "the worker to count 5 completions");
    const kinds = (await client.taskEvents(ids[0]!)).map((e) => e.kind);
    assert.deepEqual(kinds, ["enqueued", "started", "completed"]);
  });

  it("retries a handler that throws, per max_retries", async (t) => {
    const flaky = (job: Job): Json => {
      const succeedOn = (job.payload as { succeed_on: number | null }).succeed_on;
      if (succeedOn !== null && job.attempt >= succeedOn) return { attempt: job.attempt };
      throw new Error(`boom on attempt ${job.attempt}`);
    };
    const thirdTimeLucky = (await client.addTask({ type: "FLAKY", payload: { succeed_on: 3 }, max_retries: 3 })).task.id;
    const never = (await client.addTask({ type: "FLAKY", payload: { succeed_on: null }, max_retries: 2 })).task.id;
    const { worker } = startWorker(t, { FLAKY: flaky });

    const done = await waitForStatus(thirdTimeLucky, ended);
    assert.deepEqual([done.status, done.attempts, done.result], ["COMPLETED", 3, { attempt: 3 }]);
    const failed = await waitForStatus(never, ended);
    assert.deepEqual([failed.status, failed.attempts, failed.last_error], ["FAILED", 2, "Error: boom on attempt 2"]);
    await waitUntil(() => worker.stats.failed === 4, 5000, "the worker to count 4 failures");
  });

  it("ends a permanent failure FAILED after one attempt", async (t) => {
    const id = (await client.addTask({ type: "RESIZE", payload: { width: "wide" }, max_retries: 5 })).task.id;
    startWorker(t, { RESIZE: resize });
    const task = await waitForStatus(id, ended);
    assert.deepEqual([task.status, task.attempts, task.last_error], ["FAILED", 1, "payload needs an integer width"]);
  });

  it("a stalled worker loses its lease and its late complete gets 409", async (t) => {
    let firstToken = "";
    const stallOnce = async (job: Job): Promise<Json> => {
      if (job.attempt === 1) {
        // Heartbeats are paused: block until the server gives up on us.
        firstToken = job.token;
        await waitForEvent(job.id, "lease_expired");
        return { width: -1 }; // too late: answered 409
      }
      return { width: (job.payload as { width: number }).width };
    };
    const { worker, logger, isRunning } = startWorker(t, { RESIZE: stallOnce }, { concurrency: 1 });
    worker.heartbeatsPaused = true;
    const id = (await client.addTask({ type: "RESIZE", payload: { width: 7 } })).task.id;

    await waitUntil(() => worker.stats.rejected === 1, 15_000, "the late complete to be rejected");
    worker.heartbeatsPaused = false;
    const task = await waitForStatus(id, ended);
    assert.deepEqual([task.status, task.attempts, task.result], ["COMPLETED", 2, { width: 7 }]);
    assert.ok(isRunning());
    await waitUntil(() => worker.stats.completed === 1, 5000, "the worker to count the completion");
    assert.equal(worker.stats.dropped, 0);
    assert.ok(logger.lines.some((line) => line.includes("(409)")), logger.lines.join("\n"));
    // The same answer, sent by hand.
    await assert.rejects(client.complete(id, firstToken, { width: -1 }), (error: unknown) => error instanceof LeaseLost && error.status === 409);
  });

  it("stops an attempt whose lease the heartbeat reports lost", async (t) => {
    let sawLost = false;
    const untilLost = async (job: Job): Promise<Json> => {
      if (job.attempt === 1) {
        await waitForEvent(job.id, "lease_expired");
        worker.heartbeatsPaused = false; // the next heartbeat hears that the lease is gone
        await waitUntil(() => job.signal.aborted, 10_000, "the job's signal to abort");
        sawLost = true;
        return { width: -1 }; // dropped: never sent
      }
      return { width: (job.payload as { width: number }).width };
    };
    const { worker } = startWorker(t, { RESIZE: untilLost }, { concurrency: 1 });
    worker.heartbeatsPaused = true;
    const id = (await client.addTask({ type: "RESIZE", payload: { width: 8 } })).task.id;

    const task = await waitForStatus(id, ended);
    assert.deepEqual([task.status, task.attempts, task.result], ["COMPLETED", 2, { width: 8 }]);
    assert.ok(sawLost);
    assert.deepEqual([worker.stats.dropped, worker.stats.rejected], [1, 0]);
  });

  it("long polling hands over a task enqueued while the worker waits", async (t) => {
    const started = Date.now();
    assert.deepEqual(await client.lease({ types: ["RESIZE"], waitMs: 600 }), []);
    assert.ok(Date.now() - started >= 550, "an empty lease call should wait");

    let received: { at: number; leaseCalls: number } | undefined;
    const note = (job: Job): Json => {
      received = { at: Date.now(), leaseCalls: worker.stats.leaseCalls };
      return { width: (job.payload as { width: number }).width };
    };
    const { worker, running } = startWorker(t, { RESIZE: note }, { waitMs: 20_000 });
    await waitUntil(() => worker.stats.leaseCalls === 1, 5000, "the first lease call");
    await sleep(300);
    assert.equal(worker.stats.leaseCalls, 1, "the lease call should still be waiting");

    const enqueued = Date.now();
    const id = (await client.addTask({ type: "RESIZE", payload: { width: 9 } })).task.id;
    await waitForStatus(id, ["COMPLETED"], 5000);
    assert.ok(received);
    assert.equal(received.leaseCalls, 1, "the waiting call should have delivered it");
    assert.ok(received.at - enqueued < 2000);

    const stopping = Date.now(); // stop() ends the next 20 s wait at once
    worker.stop();
    await within(running, 3000, "the worker to stop");
    assert.ok(Date.now() - stopping < 3000);
  });

  it("stop() lets running tasks finish and leases nothing more", async (t) => {
    let release = (): void => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let isHandling = false;
    const slow = async (job: Job): Promise<Json> => {
      isHandling = true;
      await within(released, 10_000, "the test to release the handler");
      return { width: (job.payload as { width: number }).width };
    };
    const { worker, running, isRunning } = startWorker(t, { RESIZE: slow }, { concurrency: 2 });
    const first = (await client.addTask({ type: "RESIZE", payload: { width: 11 } })).task.id;
    await waitUntil(() => isHandling, 10_000, "the handler to start");
    worker.stop();
    const later = (await client.addTask({ type: "RESIZE", payload: { width: 12 } })).task.id;
    assert.ok(isRunning(), "run() should wait for the running task");
    release();
    await within(running, 10_000, "the worker to stop");
    assert.equal((await client.getTask(first)).status, "COMPLETED");
    assert.equal((await client.getTask(later)).status, "QUEUED");
  });

  it("stop() past the grace period hands running tasks back", async (t) => {
    let unblock = (): void => {};
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    t.after(() => unblock());
    let isHandling = false;
    const stuck = async (): Promise<Json> => {
      isHandling = true;
      await blocked;
      return "too late";
    };
    const { worker, running } = startWorker(t, { RESIZE: stuck }, { shutdownGraceMs: 200, workerId: "ts-grace" });
    // One attempt in all: a hand-back that used it would leave the task FAILED.
    const id = (await client.addTask({ type: "RESIZE", payload: { width: 1 }, max_retries: 1 })).task.id;
    await waitUntil(() => isHandling, 10_000, "the handler to start");
    assert.equal((await client.getTask(id)).worker, "ts-grace");
    worker.stop();
    await within(running, 10_000, "run() to resolve after the grace period");
    const task = await client.getTask(id);
    assert.deepEqual([task.status, task.attempts], ["QUEUED", 0]);
    assert.equal((await client.taskEvents(id)).at(-1)?.kind, "released");
    assert.equal(worker.stats.released, 1);
  });

  it("release hands leases back and the worker is listed by its id", async () => {
    const id = (await client.addTask({ type: "FLAKY", payload: { n: 1 } })).task.id;
    const [lease] = await client.lease({ types: ["FLAKY"], workerId: "ts-release", concurrency: 2 });
    assert.ok(lease);
    type Listed = { id: string; kind: string; concurrency?: number; running: { task_id: string }[] };
    const workers = await client.request<Listed[]>("GET", "/api/workers");
    const mine = workers.find((w) => w.id === "ts-release");
    assert.deepEqual([mine?.kind, mine?.concurrency, mine?.running.map((r) => r.task_id)], ["remote", 2, [id]]);
    const answer = await client.release(
      [{ task_id: id, token: lease.token }, { task_id: "missing", token: "1" }],
      { workerId: "ts-release" },
    );
    assert.deepEqual(answer, { released: [id], lost: ["missing"] });
    assert.equal((await client.getTask(id)).attempts, 0);
  });

  it("fromEnv reads the CLI's variables, then the deprecated names", () => {
    const old = Client.fromEnv({}, { RUSTQUEUE_URL: "http://old:1", RUSTQUEUE_TOKEN: "old" });
    assert.deepEqual([old.baseUrl, old.hasToken], ["http://old:1", true]);
    const both = { RUSTQUEUE_URL: "http://old:1", RUSTQUEUE_SERVER: "http://new:2/" };
    assert.deepEqual([Client.fromEnv({}, both).baseUrl, Client.fromEnv({}, both).hasToken], ["http://new:2", false]);
    assert.equal(Client.fromEnv({}, {}).baseUrl, "http://127.0.0.1:8000");
  });

  it("the example worker runs tasks and stops on SIGTERM", async (t) => {
    const child = spawn(process.execPath, [EXAMPLE_WORKER], { env: { ...process.env, RUSTQUEUE_SERVER: url }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    t.after(() => void (child.exitCode === null && child.kill("SIGKILL")));

    const id = (await client.addTask({ type: "RESIZE", payload: { url: "cat.png", width: 640 } })).task.id;
    const task = await waitForStatus(id, ended);
    assert.deepEqual(task.result, { width: 640, url: "cat.png" });

    child.kill("SIGTERM");
    assert.equal(await within(exited, 10_000, "the example worker to exit"), 0, output);
    assert.match(output, /SIGTERM: finishing the running tasks/);
  });
});
