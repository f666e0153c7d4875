// BullMQ on the machine's Redis, in DB 9 under the key prefix "rqbench"
// (flushed before and after; nothing else is touched), with a worker of
// concurrency 100. Completed jobs are kept (BullMQ's default) and counted.
//
// node bullmq.mjs [--redis-port 6379] [--bulk N --single N --concurrent N --drain N --probes N]

import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";
import * as c from "./common.mjs";

const SYSTEM = "BullMQ 6.7.0 (concurrency 100)";
const args = c.parseArgs();
const connection = {
  host: "127.0.0.1",
  port: Number(args["redis-port"] ?? 6379),
  db: 9,
  maxRetriesPerRequest: null,
};
const prefix = "rqbench";

/** The worker child: drains `--drain` jobs, or reports each probe's start until told to stop. */
async function worker() {
  const queue = new Queue(args.queue, { connection, prefix });
  if (args.mode === "probe") {
    const probe = new Worker(args.queue, async (job) => process.send({ type: "start", n: job.data.n, at: c.wallMs() }), {
      connection,
      prefix,
      concurrency: 100,
    });
    await probe.waitUntilReady();
    process.send({ type: "ready" });
    await c.nextMessage(process, "stop");
    await probe.close();
    await queue.close();
    return;
  }
  const total = Number(args.drain);
  const started = c.wallMs();
  const drainer = new Worker(args.queue, async () => {}, { connection, prefix, concurrency: 100 });
  await c.pollUntil(async () => (await queue.getCompletedCount()) >= total);
  const seconds = (c.wallMs() - started) / 1000;
  const { peak } = c.memory();
  await drainer.close();
  await queue.close();
  process.send({ type: "drained", seconds, peak });
}

/** Deletes every key under the prefix in DB 9 (this benchmark's own). */
async function clean(redis) {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
}

async function withQueue(name, body) {
  const redis = new IORedis(connection);
  await clean(redis);
  const queue = new Queue(name, { connection, prefix });
  try {
    return await body(queue);
  } finally {
    await queue.close();
    await clean(redis);
    redis.disconnect();
  }
}

async function main() {
  const n = c.sizes(args);
  const redis = new IORedis(connection);
  const durability = await c.redisDurability(redis);
  redis.disconnect();
  const out = (key, count, value, detail) => c.emit(SYSTEM, durability, key, count, value, detail);
  const script = new URL(import.meta.url).pathname;

  await withQueue("single", async (queue) => {
    const single = await c.timedAdds(n.single, 1, (i) => queue.add("noop", { n: i }));
    out("single", n.single, single.rate, `queue.add; ${c.summary(single.latencies)}`);
  });
  await withQueue("concurrent", async (queue) => {
    const many = await c.timedAdds(n.concurrent, n.clients, (i) => queue.add("noop", { n: i }));
    out("concurrent", n.concurrent, many.rate, `${n.clients} callers of queue.add; ${c.summary(many.latencies)}`);
  });
  await withQueue("drain", async (queue) => {
    const job = (i) => ({ name: "noop", data: { n: i } });
    const bulk = await c.timedBatches(n.bulk, 1000, (first, size) =>
      queue.addBulk(Array.from({ length: size }, (_, k) => job(first + k))),
    );
    out("bulk", n.bulk, bulk, "addBulk, batches of 1,000");
    if (n.drain > n.bulk) {
      await queue.addBulk(Array.from({ length: n.drain - n.bulk }, (_, k) => job(n.bulk + k)));
    }
    const { child, exited } = c.forkWorker(script, { queue: "drain", mode: "drain", drain: n.drain }, () => {});
    const drained = await c.nextMessage(child, "drained");
    await exited;
    out("drain", n.drain, n.drain / drained.seconds, `concurrency 100, ${drained.seconds.toFixed(3)} s, polled every 5 ms`);
    out("peak_mib", n.drain, drained.peak, "VmHWM of the worker process (Redis's memory not included)");
  });
  await withQueue("latency", async (queue) => {
    const { child, exited } = c.forkWorker(script, { queue: "latency", mode: "probe" }, () => {});
    await c.nextMessage(child, "ready");
    const latencies = await c.probeLatency(child, n.probes, (i) => queue.add("probe", { n: i }));
    child.send({ type: "stop" });
    await exited;
    const sorted = [...latencies].sort((a, b) => a - b);
    out("latency_idle", n.probes, c.quantile(sorted, 0.99), `queue.add to handler start; ${c.summary(latencies)}`);
  });
}

(args.role === "worker" ? worker() : main()).catch((error) => {
  console.error(`BullMQ bench: ${error.stack ?? error}`);
  process.exit(1);
});
