/**
 * A million tasks for the performance run: a deterministic mix of types,
 * queues and payloads, loaded in batches of 10,000, and a wait until the
 * workers have run what they will run.
 */
import type { Server } from '../harness';

/** How many tasks the run loads. */
export const TOTAL = Number(process.env.PERF_TASKS ?? 1_000_000);
const BATCH = 10_000;

/** The queue paused before loading: its tasks stay QUEUED. */
export const PAUSED_QUEUE = 'reports';

const DEFAULT_TYPES = ['EMAIL', 'SMS', 'DATACLEANUP', 'TEST', 'NEWSLETTER', 'EMAIL', 'SMS', 'EMAIL'];
const MAIL_TYPES = ['EMAIL', 'NEWSLETTER', 'SMS'];
const REPORT_TYPES = ['REPORT', 'DATACLEANUP'];
const NAMES = ['ada', 'grace', 'linus', 'barbara', 'edsger', 'margaret', 'ken', 'dennis'];

/** The i-th task: about 55% default, 30% mail, 15% in the paused queue; 3% FAILABS, 2% FAIL, 1% delayed a day. */
export function taskAt(i: number): object {
  const roll = (i * 7919) % 100;
  const name = NAMES[i % NAMES.length] ?? 'ada';
  const order = `order-${String(i).padStart(7, '0')}`;
  if (roll < 15) {
    const type = REPORT_TYPES[i % REPORT_TYPES.length] ?? 'REPORT';
    return { type, queue: PAUSED_QUEUE, payload: { report: 'monthly-revenue', month: `2026-${String((i % 12) + 1).padStart(2, '0')}`, ref: order } };
  }
  if (roll < 45) {
    const type = MAIL_TYPES[i % MAIL_TYPES.length] ?? 'EMAIL';
    return { type, queue: 'mail', payload: { to: `${name}${i % 5000}@example.com`, template: 'welcome', ref: order } };
  }
  if (roll < 48) return { type: 'FAILABS', payload: { charge: 'card_declined', amount: i % 10_000, ref: order }, max_retries: 2 };
  if (roll < 50) return { type: 'FAIL', payload: `flaky ${order}` };
  if (roll < 51) return { type: 'EMAIL', payload: `reminder for ${name} ${order}`, delay_ms: 86_400_000 };
  const type = DEFAULT_TYPES[i % DEFAULT_TYPES.length] ?? 'EMAIL';
  return { type, payload: type === 'SMS' ? `+44 20 7946 ${String(i % 10_000).padStart(4, '0')} ${order}` : { user: `${name}${i % 5000}`, ref: order } };
}

interface Counts {
  by_status: Partial<Record<'QUEUED' | 'INPROGRESS' | 'COMPLETED' | 'FAILED', number>>;
}

/** Loads TOTAL tasks with two batches in flight; returns the tasks per second. */
export async function loadTasks(server: Server, log: (line: string) => void): Promise<number> {
  await server.api(`/api/queues/${PAUSED_QUEUE}/pause`, { method: 'POST' });
  const started = Date.now();
  let next = 0;
  const sendBatches = async () => {
    while (next < TOTAL) {
      const from = next;
      const to = Math.min(from + BATCH, TOTAL);
      next = to;
      const tasks = Array.from({ length: to - from }, (_, k) => taskAt(from + k));
      await server.api('/api/tasks/batch', { body: { tasks } });
      if (to % 200_000 === 0) log(`sent tasks up to ${to.toLocaleString('en-US')} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  };
  await Promise.all([sendBatches(), sendBatches()]);
  return TOTAL / ((Date.now() - started) / 1000);
}

/** Waits until nothing runs and only the paused and delayed tasks wait; returns the counts. */
export async function waitForDrain(server: Server, log: (line: string) => void, timeoutMs = 15 * 60_000): Promise<Counts> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let logged = 0;
  for (;;) {
    const counts = await server.api<Counts>('/api/counts');
    const { QUEUED = 0, INPROGRESS = 0, COMPLETED = 0, FAILED = 0 } = counts.by_status;
    const line = `queued ${QUEUED}, running ${INPROGRESS}, completed ${COMPLETED}, failed ${FAILED}`;
    // Paused (15%) and delayed (1%) tasks wait; the rest has finished once this holds twice in a row.
    if (INPROGRESS === 0 && QUEUED + COMPLETED + FAILED === TOTAL && QUEUED <= TOTAL * 0.17 && line === last) return counts;
    if (Date.now() > deadline) throw new Error(`the workers did not drain in time: ${line}`);
    if (Date.now() - logged >= 10_000) {
      log(line);
      logged = Date.now();
    }
    last = line;
    await new Promise((r) => setTimeout(r, 1000));
  }
}
