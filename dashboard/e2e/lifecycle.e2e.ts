/** The task life cycle through the dashboard, against a real server, with no reload. */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { launchBrowser, openPage, screenshot, startServer, type Server } from './harness';
import { enqueueFromForm, openTask, recordStatuses, row, seenStatuses, waitForStatus } from './pageModel';

let browser: Browser;
let server: Server;
let page: Page;
let problems: string[];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
beforeEach(async () => {
  // A short back-off so that FAILABS uses up its three attempts quickly.
  server = await startServer(['--backoff-base-ms', '50', '--backoff-cap-ms', '100']);
  ({ page, problems } = await openPage(browser));
  await page.goto(server.url);
  await page.locator('.live-live').waitFor();
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
});
afterEach(async () => {
  const stillSamePage = await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);
  await page.context().close();
  await server.stop();
  expect(problems).toEqual([]);
  expect(stillSamePage, 'the page must never reload').toBe(true);
});

test('a task enqueued from the form goes QUEUED, INPROGRESS, COMPLETED live', async () => {
  await recordStatuses(page);
  // A 1 s delay keeps it QUEUED long enough to see; TAKESLONG runs 500 ms at --demo-speed 20.
  const task = await enqueueFromForm(page, server, 'TAKESLONG', 'report for ada', { delaySeconds: 1 });
  await waitForStatus(page, task.id, 'QUEUED');
  await waitForStatus(page, task.id, 'INPROGRESS');
  await waitForStatus(page, task.id, 'COMPLETED');
  expect(await seenStatuses(page, task.id)).toEqual(['QUEUED', 'INPROGRESS', 'COMPLETED']);
  await expect.poll(() => page.getByTestId('chip-completed').locator('.chip-count').textContent()).toBe('1');
  await screenshot(page, 'lifecycle-completed');
});

test('FAILABS ends FAILED with its error and history; retry runs it again', async () => {
  const task = await enqueueFromForm(page, server, 'FAILABS', 'doomed');
  await waitForStatus(page, task.id, 'FAILED');
  await expect.poll(() => row(page, task.id).locator('.cell-attempts').textContent()).toBe('3/3');
  const panel = await openTask(page, task.id);
  await expect.poll(() => panel.getByRole('region', { name: 'Last error' }).textContent()).toContain('always fails');
  await expect.poll(() => panel.locator('.timeline-item[data-kind="failed"]').count()).toBe(1);
  await expect.poll(() => panel.locator('.timeline-item[data-kind="retry_scheduled"]').count()).toBe(2);
  await screenshot(page, 'lifecycle-failed-detail');

  await panel.getByRole('button', { name: /Retry/ }).click();
  await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
  await panel.locator('.timeline-item[data-kind="retried_by_user"]').waitFor();
  // A fresh attempt budget: it fails three more times and ends FAILED again.
  await expect.poll(() => panel.locator('.timeline-item[data-kind="failed"]').count(), { timeout: 15_000 }).toBe(2);
  await waitForStatus(page, task.id, 'FAILED');
});

test('a task is deleted from its panel after a confirmation', async () => {
  const keep = await enqueueFromForm(page, server, 'SMS', 'keep me');
  const doomed = await enqueueFromForm(page, server, 'SMS', 'delete me');
  await waitForStatus(page, doomed.id, 'COMPLETED');
  const panel = await openTask(page, doomed.id);
  await panel.getByRole('button', { name: /Delete/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete this task?' });
  await dialog.getByRole('button', { name: 'Delete task' }).click();
  await row(page, doomed.id).waitFor({ state: 'detached' });
  await expect.poll(() => page.locator('aside.detail').count()).toBe(0);
  await row(page, keep.id).waitFor();
  await expect(server.api(`/api/tasks/${doomed.id}`)).rejects.toThrow('404');
});

test('delete all asks first, then empties everything', async () => {
  for (const payload of ['a', 'b', 'c']) await enqueueFromForm(page, server, 'EMAIL', payload);
  await page.getByRole('button', { name: 'Delete all…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete every task?' });
  await screenshot(page, 'clear-confirmation');
  // Cancel first: nothing happens.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect((await server.api<{ tasks: unknown[] }>('/api/tasks')).tasks).toHaveLength(3);
  await page.getByRole('button', { name: 'Delete all…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete tasks' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted 3 tasks' }).waitFor();
  await page.getByText('No tasks yet').waitFor();
  expect((await server.api<{ tasks: unknown[] }>('/api/tasks')).tasks).toHaveLength(0);
  await expect.poll(() => page.getByTestId('chip-all').locator('.chip-count').textContent()).toBe('0');
});

test('a payload of <script> shows as text and never runs', async () => {
  const hostile = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const task = await enqueueFromForm(page, server, 'EMAIL', hostile);
  await expect.poll(() => row(page, task.id).locator('.cell-payload').textContent()).toBe(hostile);
  const panel = await openTask(page, task.id);
  await expect.poll(() => panel.getByTestId('payload').textContent()).toBe(hostile);
  expect(await page.locator('main script, main img, aside img, aside script').count()).toBe(0);
  await screenshot(page, 'payload-as-text');
});
