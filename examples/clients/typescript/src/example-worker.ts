// A sample remote worker: runs RESIZE tasks until Ctrl-C or SIGTERM.
//
//   rustqueue serve --remote-types RESIZE
//   npm ci && npm run build && npm start    # RUSTQUEUE_SERVER, RUSTQUEUE_API_TOKEN to change
//   curl -s -X POST localhost:8000/api/tasks -H 'content-type: application/json' \
//        -d '{"type": "RESIZE", "payload": {"url": "cat.png", "width": 640}}'

import { pathToFileURL } from "node:url";

import { Client, Json } from "./client.js";
import { Job, PermanentError, Worker } from "./worker.js";

export function resize(job: Job): Json {
  const payload = isObject(job.payload) ? job.payload : {};
  const { width, url = null } = payload;
  if (typeof width !== "number" || !Number.isInteger(width)) {
    throw new PermanentError("payload needs an integer width"); // retrying cannot fix this
  }
  if (width <= 0) throw new PermanentError(`width must be positive, got ${width}`);
  // ... the real work goes here; pass job.signal to your own calls if it is long ...
  return { width, url };
}

function isObject(value: Json): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function main(): Promise<void> {
  const client = Client.fromEnv();
  const workerId = process.env.RUSTQUEUE_WORKER_ID;
  const options = { concurrency: 4, leaseMs: 30_000, waitMs: 20_000, ...(workerId ? { workerId } : {}) };
  const worker = new Worker(client, { RESIZE: resize }, options);
  console.info(`running RESIZE tasks from ${client.baseUrl} as ${worker.workerId}; Ctrl-C to stop`);
  await worker.runUntilSignal();
  console.info(`stopped: ${JSON.stringify(worker.stats)}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
