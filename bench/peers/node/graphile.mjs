// graphile-worker on the machine's PostgreSQL, with the settings of its
// performance docs: localQueue (size 500), batched completions and failures
// (completeJobBatchDelay / failJobBatchDelay 0), 24 concurrent jobs, a pool of 25.
// Each phase uses a fresh schema, dropped afterwards.
//
// node graphile.mjs [--database-url URL] [--bulk N --single N --concurrent N --drain N --probes N]

import { Logger, makeWorkerUtils, run } from "graphile-worker";
import pg from "pg";
import * as c from "./common.mjs";

const SYSTEM = "graphile-worker 0.17.3 (localQueue, batched completions)";
const args = c.parseArgs();
const url = args["database-url"] ?? "postgres://postgres@127.0.0.1:5432/test";

/** Only warnings and errors: logging every job would slow the worker down. */
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`graphile-worker ${level}: ${message}`);
});

/** The preset of the performance docs, in `schema`. */
const preset = (schema) => ({
  worker: {
    connectionString: url,
    schema,
    concurrentJobs: 24,
    maxPoolSize: 25,
    localQueue: { size: 500 },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
    pollInterval: 2000,
    logger,
  },
});

const noop = { noop: async () => {} };

/** The worker child: drains `--drain` jobs, or reports each probe's start until told to stop. */
async function worker() {
  const schema = args.schema;
  if (args.mode === "probe") {
    const runner = await run({
      preset: preset(schema),
      noHandleSignals: true,
      taskList: { probe: async (payload) => process.send({ type: "start", n: payload.n, at: c.wallMs() }) },
    });
    process.send({ type: "ready" });
    await c.nextMessage(process, "stop");
    await runner.stop();
    return;
  }
  const total = Number(args.drain);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = c.wallMs();
  const runner = await run({ preset: preset(schema), noHandleSignals: true, taskList: noop });
  // Completed jobs are deleted: none left means every completion is committed.
  const left = async () =>
    Number((await client.query(`select count(*) from "${schema}"._private_jobs`)).rows[0].count);
  await c.pollUntil(async () => (await left()) === 0);
  const seconds = (c.wallMs() - started) / 1000;
  const { peak } = c.memory();
  await runner.stop();
  await client.end();
  process.send({ type: "drained", seconds, peak, total });
}

/** Runs `body(utils)` on a fresh schema, dropped afterwards. */
async function withSchema(tag, body) {
  const schema = `bench_gw_${tag}_${process.pid}`;
  const drop = await c.freshSchema(url, schema);
  const utils = await makeWorkerUtils({ preset: { worker: { connectionString: url, schema, maxPoolSize: 40, logger } } });
  try {
    await utils.migrate();
    return await body(utils, schema);
  } finally {
    await utils.release();
    await drop();
  }
}

async function main() {
  const n = c.sizes(args);
  const durability = await c.postgresDurability(url);
  const out = (key, count, value, detail) => c.emit(SYSTEM, durability, key, count, value, detail);

  await withSchema("single", async (utils) => {
    const single = await c.timedAdds(n.single, 1, (i) => utils.addJob("noop", { n: i }));
    out("single", n.single, single.rate, `addJob; ${c.summary(single.latencies)}`);
  });
  await withSchema("concurrent", async (utils) => {
    const many = await c.timedAdds(n.concurrent, n.clients, (i) => utils.addJob("noop", { n: i }));
    out("concurrent", n.concurrent, many.rate, `${n.clients} callers of addJob; ${c.summary(many.latencies)}`);
  });
  await withSchema("drain", async (utils, schema) => {
    const job = (i) => ({ identifier: "noop", payload: { n: i } });
    const bulk = await c.timedBatches(n.bulk, 1000, (first, size) =>
      utils.addJobs(Array.from({ length: size }, (_, k) => job(first + k))),
    );
    out("bulk", n.bulk, bulk, "addJobs, batches of 1,000");
    if (n.drain > n.bulk) {
      await utils.addJobs(Array.from({ length: n.drain - n.bulk }, (_, k) => job(n.bulk + k)));
    }
    const { child, exited } = c.forkWorker(new URL(import.meta.url).pathname, { schema, mode: "drain", drain: n.drain }, () => {});
    const drained = await c.nextMessage(child, "drained");
    await exited;
    out("drain", n.drain, n.drain / drained.seconds, `24 concurrent jobs, localQueue 500, ${drained.seconds.toFixed(3)} s, polled every 5 ms`);
    out("peak_mib", n.drain, drained.peak, "VmHWM of the worker process (PostgreSQL's memory not included)");
  });
  await withSchema("latency", async (utils, schema) => {
    const { child, exited } = c.forkWorker(new URL(import.meta.url).pathname, { schema, mode: "probe" }, () => {});
    await c.nextMessage(child, "ready");
    const latencies = await c.probeLatency(child, n.probes, (i) => utils.addJob("probe", { n: i }));
    child.send({ type: "stop" });
    await exited;
    const sorted = [...latencies].sort((a, b) => a - b);
    out("latency_idle", n.probes, c.quantile(sorted, 0.99), `addJob to handler start; ${c.summary(latencies)}`);
  });
}

(args.role === "worker" ? worker() : main()).catch((error) => {
  console.error(`graphile-worker bench: ${error.stack ?? error}`);
  process.exit(1);
});
