/** Filters, pages, bulk actions, queue pause, keyboard use and the token prompt, against a real server. */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { launchBrowser, openPage, screenshot, startServer, type ApiTask, type Server } from './harness';
import { enqueueFromForm, row, waitForStatus } from './pageModel';

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
  expect(problems).toEqual([]);
});

async function start(extra: string[] = [], width = 1280): Promise<Server> {
  server = await startServer(['--backoff-base-ms', '50', '--backoff-cap-ms', '100', ...extra]);
  ({ page, problems } = await openPage(browser, width));
  return server;
}

async function batch(s: Server, tasks: object[], token?: string): Promise<ApiTask[]> {
  const answer = await s.api<{ tasks: { task: ApiTask }[] }>('/api/tasks/batch', { body: { tasks }, token });
  return answer.tasks.map((entry) => entry.task);
}

const chipCount = (status: string) => page.getByTestId(`chip-${status}`).locator('.chip-count').textContent();
const rowCount = () => page.locator('tr[data-task-id]').count();

test('status chips, type, queue and search filter the list, and the address keeps them', async () => {
  const s = await start();
  await batch(s, [
    { type: 'EMAIL', payload: 'needle in a haystack' },
    { type: 'EMAIL', payload: 'just hay', queue: 'mail' },
    { type: 'FAILABS', payload: 'broken', queue: 'mail' },
  ]);
  await page.goto(s.url);
  await expect.poll(() => chipCount('failed'), { timeout: 15_000 }).toBe('1');
  await expect.poll(rowCount).toBe(3);

  await page.getByTestId('chip-failed').click();
  await expect.poll(rowCount).toBe(1);
  expect(page.url()).toContain('status=FAILED');
  await page.getByTestId('chip-all').click();
  await page.getByLabel('Filter by queue').selectOption('mail');
  await expect.poll(rowCount).toBe(2);
  await page.getByLabel('Filter by type').selectOption('EMAIL');
  await expect.poll(rowCount).toBe(1);
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.getByRole('searchbox').fill('needle');
  await expect.poll(rowCount).toBe(1);
  await expect.poll(() => page.locator('.cell-payload').first().textContent()).toBe('needle in a haystack');
  expect(page.url()).toContain('q=needle');

  // The address is the state: a reload shows the same view.
  await page.reload();
  await expect.poll(rowCount).toBe(1);
  await expect.poll(() => page.getByRole('searchbox').inputValue()).toBe('needle');
  await page.getByRole('searchbox').fill('nothing-like-this');
  await page.getByText('No tasks match these filters').waitFor();
  await screenshot(page, 'filtered-empty');
});

test('pages of 50 go older and newer, newest first', async () => {
  const s = await start();
  await s.api('/api/queues/default/pause', { method: 'POST' });
  const tasks = await batch(s, Array.from({ length: 120 }, (_, i) => ({ type: 'SMS', payload: `n${i}` })));
  await page.goto(s.url);
  await expect.poll(rowCount).toBe(50);
  const newestId = tasks[tasks.length - 1]?.id ?? '';
  await expect.poll(() => page.locator('tr[data-task-id]').first().getAttribute('data-task-id')).toBe(newestId);
  await page.getByRole('button', { name: 'Older ›' }).click();
  await expect.poll(() => page.locator('tr[data-task-id]').first().getAttribute('data-task-id')).toBe(tasks[69]?.id);
  await page.getByRole('button', { name: 'Older ›' }).click();
  await expect.poll(rowCount).toBe(20);
  expect(await page.getByRole('button', { name: 'Older ›' }).isDisabled()).toBe(true);
  await page.getByText('Page 3 · 20 shown').waitFor();
  // The page is in the address: a reload stays on it, and Newer still walks back.
  expect(page.url()).toContain('cursor=');
  await page.reload();
  await page.getByText('Page 3 · 20 shown').waitFor();
  await page.getByRole('button', { name: '‹ Newer' }).click();
  await page.getByText('Page 2 · 50 shown').waitFor();
  await expect.poll(() => page.locator('tr[data-task-id]').first().getAttribute('data-task-id')).toBe(tasks[69]?.id);
  await page.goBack();
  await page.getByText('Page 3 · 20 shown').waitFor();
  await page.goBack();
  await page.getByText('Page 2 · 50 shown').waitFor();
  await page.getByRole('button', { name: '« Newest' }).click();
  await expect.poll(() => page.locator('tr[data-task-id]').first().getAttribute('data-task-id')).toBe(newestId);
});

test('bulk retry of failed tasks, and bulk delete by filter after a confirmation', async () => {
  const s = await start();
  await batch(s, [
    { type: 'FAILABS', payload: 'f1' },
    { type: 'FAILABS', payload: 'f2' },
    { type: 'FAILABS', payload: 'f3' },
    { type: 'EMAIL', payload: 'e1' },
    { type: 'EMAIL', payload: 'e2' },
  ]);
  await page.goto(s.url);
  await expect.poll(() => chipCount('failed'), { timeout: 15_000 }).toBe('3');
  await page.getByRole('button', { name: 'Retry failed (3)…' }).click();
  const asking = page.getByRole('dialog', { name: 'Retry 3 failed tasks?' });
  await screenshot(page, 'retry-confirmation');
  await asking.getByRole('button', { name: 'Retry tasks' }).click();
  await page.getByRole('status').filter({ hasText: '3 failed tasks queued again' }).waitFor();
  await expect.poll(() => chipCount('failed'), { timeout: 15_000 }).toBe('3');
  await expect.poll(() => chipCount('completed')).toBe('2');

  await page.getByLabel('Filter by type').selectOption('EMAIL');
  await expect.poll(rowCount).toBe(2);
  await page.getByRole('button', { name: 'Delete matching…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete matching tasks?' });
  expect(await dialog.textContent()).toContain('type EMAIL');
  await dialog.getByRole('button', { name: 'Delete tasks' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted 2 tasks' }).waitFor();
  await page.getByText('No tasks match these filters').waitFor();
  const left = await s.api<{ tasks: ApiTask[] }>('/api/tasks');
  expect(left.tasks.map((t) => t.type)).toEqual(['FAILABS', 'FAILABS', 'FAILABS']);
});

test('a paused queue holds its tasks until it is resumed', async () => {
  const s = await start();
  await batch(s, [{ type: 'SMS', payload: 'warm-up', queue: 'mail' }]);
  await page.goto(s.url);
  await page.getByRole('button', { name: 'Pause queue mail' }).click();
  await page.getByRole('status').filter({ hasText: 'Queue mail paused' }).waitFor();
  await page.locator('.queue-paused').getByText('Paused').waitFor();
  const [held] = await batch(s, [{ type: 'SMS', payload: 'held', queue: 'mail' }]);
  const [free] = await batch(s, [{ type: 'SMS', payload: 'free' }]);
  if (!held || !free) throw new Error('batch answered no tasks');
  // The other queue runs meanwhile; the paused one does not.
  await waitForStatus(page, free.id, 'COMPLETED');
  await waitForStatus(page, held.id, 'QUEUED');
  await screenshot(page, 'queue-paused');
  await page.getByRole('button', { name: 'Resume queue mail' }).click();
  await waitForStatus(page, held.id, 'COMPLETED');
});

test('the keyboard reaches everything: / searches, Enter opens a task, Escape closes it', async () => {
  const s = await start();
  const [task] = await batch(s, [{ type: 'EMAIL', payload: 'keyboard' }]);
  if (!task) throw new Error('batch answered no tasks');
  await page.goto(s.url);
  await row(page, task.id).waitFor();
  await page.keyboard.press('/');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('search');
  await row(page, task.id).getByRole('link').focus();
  await page.keyboard.press('Enter');
  await page.locator('aside.detail').waitFor();
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toContain('Close task panel');
  expect(page.url()).toContain(`/tasks/${task.id}`);
  await page.keyboard.press('Escape');
  await page.locator('aside.detail').waitFor({ state: 'detached' });
  await page.goBack();
  await page.locator('aside.detail').waitFor();
  // A task address opens straight to its panel (the server falls back to index.html).
  await page.goto(`${s.url}/tasks/${task.id}`);
  await openTaskPanelReady();
});

async function openTaskPanelReady(): Promise<void> {
  await page.locator('aside.detail .detail-status').waitFor();
}

test('a server with --api-token asks for the token, and then everything works', async () => {
  const s = await start(['--api-token', 's3cret']);
  await page.goto(s.url);
  const prompt = page.getByRole('dialog', { name: 'API token required' });
  await prompt.waitFor();
  await screenshot(page, 'token-prompt');
  await prompt.getByLabel('Token').fill('wrong');
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await prompt.getByText('refused the token').waitFor();
  await prompt.getByLabel('Token').fill('s3cret');
  await prompt.getByRole('button', { name: 'Continue' }).click();
  await prompt.waitFor({ state: 'detached' });
  await page.locator('.live-live').waitFor();
  // Live updates flow with the token too.
  const [task] = await batch(s, [{ type: 'SMS', payload: 'authorized' }], 's3cret');
  if (!task) throw new Error('batch answered no tasks');
  await waitForStatus(page, task.id, 'COMPLETED');
  await enqueueFromForm(page, { ...s, api: (path, init) => s.api(path, { ...init, token: 's3cret' }) }, 'EMAIL', 'from the form');
  expect(await page.evaluate(() => sessionStorage.getItem('rustqueue.apiToken'))).toBe('s3cret');
  // The metrics are fetched with the token (a plain link would get 401).
  await page.getByRole('button', { name: 'Metrics' }).click();
  await expect.poll(() => page.getByTestId('metrics-text').textContent(), { timeout: 10_000 }).toContain('rustqueue_');
  await screenshot(page, 'metrics-with-token');
});

test('a refusal from the server shows as a toast, and a lost server as reconnecting', async () => {
  const s = await start();
  await page.goto(s.url);
  const form = page.getByRole('region', { name: 'Enqueue a task' });
  await form.getByLabel('Type').selectOption('EMAIL');
  await form.locator('summary').click();
  await form.getByLabel('Queue').fill('q'.repeat(300));
  await form.getByRole('button', { name: 'Enqueue', exact: true }).click();
  const toast = page.getByRole('alert').filter({ hasText: 'queue' });
  await toast.waitFor();
  await screenshot(page, 'error-toast');
  expect((await s.api<{ tasks: unknown[] }>('/api/tasks')).tasks).toHaveLength(0);
  await s.stop({ crash: true });
  server = null;
  await page.getByText('Reconnecting…').waitFor();
});
