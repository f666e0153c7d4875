// pg-boss on the machine's PostgreSQL: 4 polling workers (work() called 4
// times), each fetching and completing batches of 500 jobs, polling at the
// smallest interval allowed (0.5 s). Each phase uses a fresh schema, dropped afterwards.
//
// node pgboss.mjs [--database-url URL] [--bulk N --single N --concurrent N --drain N --probes N]

import PgBoss from "pg-boss";
import pg from "pg";
import * as c from "./common.mjs";

const SYSTEM = "pg-boss 10.4.2 (4 workers, batches of 500)";
const args = c.parseArgs();
const url = args["database-url"] ?? "postgres://postgres@127.0.0.1:5432/test";
const WORKERS = 4;
const work = { batchSize: 500, pollingIntervalSeconds: 0.5 };

async function boss(schema, extra = {}) {
  const instance = new PgBoss({ connectionString: url, schema, max: 40, ...extra });
  instance.on("error", (error) => console.error(`pg-boss error: ${error.message}`));
  await instance.start();
  return instance;
}

/** The worker child: drains `--drain` jobs, or reports each probe's start until told to stop. */
async function worker() {
  const schema = args.schema;
  if (args.mode === "probe") {
    const instance = await boss(schema, { migrate: false });
    for (let i = 0; i < WORKERS; i++) {
      await instance.work("probe", work, async (jobs) => {
        const at = c.wallMs();
        for (const job of jobs) process.send({ type: "start", n: job.data.n, at });
      });
    }
    process.send({ type: "ready" });
    await c.nextMessage(process, "stop");
    await instance.stop({ graceful: false, wait: false });
    return;
  }
  const total = Number(args.drain);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = c.wallMs();
  const instance = await boss(schema, { migrate: false });
  for (let i = 0; i < WORKERS; i++) await instance.work("noop", work, async () => {});
  const done = async () =>
    Number((await client.query(`select count(*) from "${schema}".job where name = 'noop' and state = 'completed'`)).rows[0].count) >= total;
  await c.pollUntil(done);
  const seconds = (c.wallMs() - started) / 1000;
  const { peak } = c.memory();
  await instance.stop({ graceful: false, wait: false });
  await client.end();
  process.send({ type: "drained", seconds, peak });
}

/** Runs `body(boss, schema)` on a fresh schema with the `noop` and `probe` queues, dropped afterwards. */
async function withSchema(tag, body) {
  const schema = `bench_pgboss_${tag}_${process.pid}`;
  const drop = await c.freshSchema(url, schema);
  const instance = await boss(schema, { supervise: false, schedule: false });
  try {
    await instance.createQueue("noop");
    await instance.createQueue("probe");
    return await body(instance, schema);
  } finally {
    await instance.stop({ graceful: false, wait: true });
    await drop();
  }
}

async function main() {
  const n = c.sizes(args);
  const durability = await c.postgresDurability(url);
  const out = (key, count, value, detail) => c.emit(SYSTEM, durability, key, count, value, detail);
  const script = new URL(import.meta.url).pathname;

  await withSchema("single", async (b) => {
    const single = await c.timedAdds(n.single, 1, (i) => b.send("noop", { n: i }));
    out("single", n.single, single.rate, `send; ${c.summary(single.latencies)}`);
  });
  await withSchema("concurrent", async (b) => {
    const many = await c.timedAdds(n.concurrent, n.clients, (i) => b.send("noop", { n: i }));
    out("concurrent", n.concurrent, many.rate, `${n.clients} callers of send; ${c.summary(many.latencies)}`);
  });
  await withSchema("drain", async (b, schema) => {
    const job = (i) => ({ name: "noop", data: { n: i } });
    const bulk = await c.timedBatches(n.bulk, 1000, (first, size) =>
      b.insert(Array.from({ length: size }, (_, k) => job(first + k))),
    );
    out("bulk", n.bulk, bulk, "insert, batches of 1,000");
    if (n.drain > n.bulk) await b.insert(Array.from({ length: n.drain - n.bulk }, (_, k) => job(n.bulk + k)));
    const { child, exited } = c.forkWorker(script, { schema, mode: "drain", drain: n.drain }, () => {});
    const drained = await c.nextMessage(child, "drained");
    await exited;
    out("drain", n.drain, n.drain / drained.seconds, `${WORKERS} workers × batches of 500, ${drained.seconds.toFixed(3)} s, polled every 5 ms`);
    out("peak_mib", n.drain, drained.peak, "VmHWM of the worker process (PostgreSQL's memory not included)");
  });
  await withSchema("latency", async (b, schema) => {
    const { child, exited } = c.forkWorker(script, { schema, mode: "probe" }, () => {});
    await c.nextMessage(child, "ready");
    const latencies = await c.probeLatency(child, n.probes, (i) => b.send("probe", { n: i }));
    child.send({ type: "stop" });
    await exited;
    const sorted = [...latencies].sort((a, b2) => a - b2);
    out("latency_idle", n.probes, c.quantile(sorted, 0.99), `send to handler start; ${c.summary(latencies)}`);
  });
}

(args.role === "worker" ? worker() : main()).catch((error) => {
  console.error(`pg-boss bench: ${error.stack ?? error}`);
  process.exit(1);
});
