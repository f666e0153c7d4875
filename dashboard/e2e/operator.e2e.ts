/** What someone on call relies on: counts that follow the filters, row selection, duplicates said plainly, honest times. */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { launchBrowser, openPage, screenshot, startServer, type ApiTask, type Server } from './harness';
import { row, waitForStatus } from './pageModel';

let browser: Browser;
let server: Server | null = null;
let page: Page;
let problems: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
afterEach(async () => {
  await page.context().close();
  await server?.stop();
  server = null;
  expect(problems).toEqual([]);
});

async function start(extra: string[] = [], width = 1280): Promise<Server> {
  server = await startServer(extra);
  ({ page, problems } = await openPage(browser, width));
  return server;
}

async function batch(s: Server, tasks: object[]): Promise<ApiTask[]> {
  const answer = await s.api<{ tasks: { task: ApiTask }[] }>('/api/tasks/batch', { body: { tasks } });
  return answer.tasks.map((entry) => entry.task);
}

const chipCount = (status: string) => page.getByTestId(`chip-${status}`).locator('.chip-count').textContent();

test('the status chips count the filtered queue, and the retry button the failed tasks it will touch', async () => {
  const s = await start();
  await batch(s, [
    { type: 'FAILABS', payload: 'm1', queue: 'mail' },
    { type: 'FAILABS', payload: 'd1' },
    { type: 'FAILABS', payload: 'd2' },
    { type: 'SMS', payload: 'd3' },
  ]);
  await page.goto(s.url);
  await expect.poll(() => chipCount('failed'), { timeout: 15_000 }).toBe('3');
  await page.getByLabel('Filter by queue').selectOption('mail');
  await expect.poll(() => chipCount('failed')).toBe('1');
  await expect.poll(() => chipCount('all')).toBe('1');
  await page.getByTestId('chips-scope').getByText('Counts for queue mail').waitFor();
  await page.getByRole('button', { name: 'Retry matching failed (1)…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Retry 1 failed task?' });
  await dialog.getByRole('button', { name: 'Retry tasks' }).click();
  await page.getByRole('status').filter({ hasText: '1 failed task queued again' }).waitFor();
  // Only the filtered queue's failure was retried.
  const failedElsewhere = await s.api<{ tasks: ApiTask[] }>('/api/tasks?status=FAILED&queue=default');
  expect(failedElsewhere.tasks).toHaveLength(2);
});

test('ticked rows, a shift-click range among them, are deleted by id', async () => {
  const s = await start();
  await s.api('/api/queues/default/pause', { method: 'POST' });
  const tasks = await batch(s, Array.from({ length: 6 }, (_, i) => ({ type: 'SMS', payload: `row ${i}` })));
  await page.goto(s.url);
  const [t0, t1, t2, t3] = [...tasks].reverse();
  if (!t0 || !t1 || !t2 || !t3) throw new Error('batch answered too few tasks');
  await row(page, t0.id).waitFor();
  await row(page, t0.id).getByRole('checkbox').click();
  await row(page, t2.id).getByRole('checkbox').click({ modifiers: ['Shift'] });
  await page.getByText('3 selected').waitFor();
  await screenshot(page, 'rows-selected');
  await page.getByRole('button', { name: 'Delete selected (3)…' }).click();
  await page.getByRole('dialog', { name: 'Delete 3 selected tasks?' }).getByRole('button', { name: 'Delete tasks' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted 3 tasks' }).waitFor();
  await row(page, t0.id).waitFor({ state: 'detached' });
  const left = await s.api<{ tasks: ApiTask[] }>('/api/tasks');
  expect(left.tasks.map((t) => t.id).sort()).toEqual(tasks.slice(0, 3).map((t) => t.id).sort());
  expect(left.tasks.map((t) => t.id)).toContain(t3.id);
});

test('a duplicate unique key is said to be one and links the task holding it', async () => {
  const s = await start();
  await s.api('/api/queues/default/pause', { method: 'POST' });
  const [holder] = await batch(s, [{ type: 'SMS', payload: 'first', unique_key: 'invoice-7' }]);
  if (!holder) throw new Error('batch answered no task');
  await page.goto(s.url);
  const form = page.getByRole('region', { name: 'Enqueue a task' });
  await form.getByLabel('Type').selectOption('SMS');
  await form.getByLabel('Payload', { exact: true }).fill('second');
  await form.locator('summary').click();
  await form.getByLabel('Unique key').fill('invoice-7');
  await form.getByRole('button', { name: 'Enqueue', exact: true }).click();
  const notice = form.getByRole('status');
  await notice.getByText(/Not enqueued: a duplicate/).waitFor();
  expect(await notice.textContent()).toContain('invoice-7');
  await screenshot(page, 'enqueue-duplicate');
  await notice.getByRole('link').click();
  await expect.poll(() => page.url()).toContain(`/tasks/${holder.id}`);
  expect((await s.api<{ tasks: ApiTask[] }>('/api/tasks')).tasks).toHaveLength(1);
});

test('a new row never reads as created in the future, even with this machine\'s clock behind', async () => {
  const s = await start();
  // The browser's clock runs 20 s behind the server's.
  await page.addInitScript(() => {
    const real = Date.now.bind(Date);
    Date.now = () => real() - 20_000;
  });
  await page.goto(s.url);
  await page.locator('.live-live').waitFor();
  const [task] = await batch(s, [{ type: 'SMS', payload: 'fresh' }]);
  if (!task) throw new Error('batch answered no task');
  await waitForStatus(page, task.id, 'COMPLETED');
  const created = await row(page, task.id).locator('.cell-created').textContent();
  expect(created).not.toMatch(/^in /);
  expect(created).toMatch(/^(just now|\d s ago)$/);
});
