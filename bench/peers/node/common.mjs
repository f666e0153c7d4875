// What every Node peer runner shares: arguments, records (the same JSON lines
// as the Rust benchmarks), clocks, memory from /proc, the timed loads and the
// worker child process that drains and reports.

import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import pg from "pg";

/** `--name value` pairs as an object of strings. */
export function parseArgs(argv = process.argv.slice(2)) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith("--")) throw new Error(`unexpected argument ${argv[i]}`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  return args;
}

/** The run's sizes, with the defaults. */
export function sizes(args) {
  const num = (name, fallback) => Number(args[name] ?? fallback);
  return {
    bulk: num("bulk", 20000),
    single: num("single", 2000),
    concurrent: num("concurrent", 20000),
    clients: num("clients", 32),
    drain: num("drain", 20000),
    probes: num("probes", 200),
  };
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const wallMs = () => performance.timeOrigin + performance.now();

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Prints one record as a JSON line. */
export function emit(system, durability, workload, n, value, detail = "") {
  console.log(JSON.stringify({ system, workload, n, value, detail, durability }));
}

/** This process's memory in MiB: { rss, peak } from /proc/self/status. */
export function memory() {
  const status = readFileSync("/proc/self/status", "utf8");
  const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"))[1]) / 1024;
  return { rss: field("VmRSS"), peak: field("VmHWM") };
}

/** The `p` quantile (0–1) of sorted numbers, nearest rank. */
export function quantile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.min(Math.max(Math.ceil(sorted.length * p), 1), sorted.length);
  return sorted[rank - 1];
}

/** "p50 a ms, p99 b ms, max c ms" of latencies in ms. */
export function summary(latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const f = (p) => quantile(sorted, p).toFixed(2);
  return `p50 ${f(0.5)} ms, p99 ${f(0.99)} ms, max ${f(1)} ms`;
}

/** Runs `add(n)` for n in 0..total from `clients` concurrent loops; returns { rate, latencies }. */
export async function timedAdds(total, clients, add) {
  let next = 0;
  const latencies = [];
  const started = performance.now();
  const loop = async () => {
    for (let n = next++; n < total; n = next++) {
      const sent = performance.now();
      await add(n);
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: clients }, loop));
  const seconds = (performance.now() - started) / 1000;
  return { rate: total / seconds, latencies };
}

/** Runs `addBatch(first, size)` over `total` tasks in batches of `batch`; returns tasks/s. */
export async function timedBatches(total, batch, addBatch) {
  const started = performance.now();
  for (let first = 0; first < total; first += batch) {
    await addBatch(first, Math.min(batch, total - first));
  }
  return total / ((performance.now() - started) / 1000);
}

/** Polls `done()` every `everyMs` until it is true; fails after `limitMs`. */
export async function pollUntil(done, everyMs = 5, limitMs = 600000) {
  const started = performance.now();
  while (!(await done())) {
    if (performance.now() - started > limitMs) throw new Error("timed out waiting for the drain");
    await sleep(everyMs);
  }
}

/** What a commit survives on this PostgreSQL server. */
export async function postgresDurability(connectionString) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const show = async (name) => (await client.query(`SHOW ${name}`)).rows[0][name];
    return `PostgreSQL commit (synchronous_commit=${await show("synchronous_commit")}, fsync=${await show("fsync")})`;
  } finally {
    await client.end();
  }
}

/** What an acknowledged job survives on this Redis server, from its persistence settings. */
export async function redisDurability(redis) {
  const [, aof] = await redis.config("GET", "appendonly");
  const [, fsync] = await redis.config("GET", "appendfsync");
  const [, save] = await redis.config("GET", "save");
  if (aof === "yes") return `Redis AOF, appendfsync=${fsync}`;
  if (save) return `Redis in memory, RDB snapshots "${save}": recent jobs lost if Redis stops`;
  return "Redis in memory, no AOF or RDB: every job lost if Redis stops";
}

/** Creates `schema` fresh in the database, and returns a function that drops it. */
export async function freshSchema(connectionString, schema) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
  return async () => {
    const dropper = new pg.Client({ connectionString });
    await dropper.connect();
    await dropper.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await dropper.end();
  };
}

/**
 * Forks this script as a worker child (`--role worker` plus `args`) and
 * resolves with the child; `onMessage` gets its messages.
 */
export function forkWorker(script, args, onMessage) {
  const flat = Object.entries({ ...args, role: "worker" }).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const child = fork(script, flat, { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  child.on("message", onMessage);
  const exited = new Promise((resolve, reject) => {
    child.on("exit", (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`worker exited with ${code ?? signal}`)),
    );
  });
  return { child, exited };
}

/** Waits for the first message of `type` from a forked child. */
export function nextMessage(child, type, limitMs = 600000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} message from the worker`)), limitMs);
    const listener = (message) => {
      if (message.type !== type) return;
      clearTimeout(timer);
      child.off("message", listener);
      resolve(message);
    };
    child.on("message", listener);
    child.once("exit", (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
  });
}

/**
 * Idle enqueue-to-start latency: `add(n, sentAt)` enqueues probe n, the worker
 * child reports `{type: "start", n, at}` when its handler starts.
 */
export async function probeLatency(child, probes, add, gapMs = 5) {
  const latencies = [];
  for (let n = 0; n < probes; n++) {
    const started = new Promise((resolve) => {
      const listener = (message) => {
        if (message.type === "start" && message.n === n) {
          child.off("message", listener);
          resolve(message.at);
        }
      };
      child.on("message", listener);
    });
    const sent = wallMs();
    await add(n, sent);
    const at = await Promise.race([
      started,
      sleep(30000).then(() => Promise.reject(new Error(`probe ${n} did not start within 30 s`))),
    ]);
    latencies.push(at - sent);
    await sleep(gapMs);
  }
  return latencies;
}
