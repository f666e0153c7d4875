/** The cron panel, the retention note and the metrics view, against a real server with cron entries. */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { launchBrowser, openPage, screenshot, startServer, type Server } from './harness';

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

interface CronEntry {
  name: string;
  enabled: boolean;
  last_run: string | null;
  next_run: string | null;
}

const tickCount = async (s: Server) => (await s.api<{ by_queue: Record<string, Record<string, number>> }>('/api/counts')).by_queue.cron;
const total = (counts: Record<string, number> | undefined) => Object.values(counts ?? {}).reduce((a, b) => a + b, 0);

test('the cron panel shows runs and disables an entry on the server', async () => {
  const s = await startServer([
    '--cron',
    'tick=* * * * * *;SMS;queue=cron;payload="from cron"',
    '--cron',
    'nightly=0 0 3 * * *;REPORT;timezone=Europe/Paris;backfill=true',
    '--completed-retention-secs',
    '3600',
  ]);
  server = s;
  ({ page, problems } = await openPage(browser, 1280));
  await page.goto(s.url);

  const panel = page.getByRole('region', { name: 'Cron' });
  const tick = panel.getByRole('listitem').filter({ hasText: 'tick' });
  const nightly = panel.getByRole('listitem').filter({ hasText: 'nightly' });
  await nightly.getByText('0 0 3 * * * Europe/Paris · REPORT → default').waitFor();
  expect(await nightly.textContent()).toContain('Last: never');
  expect(await nightly.getByText('Backfill', { exact: true }).count()).toBe(1);
  await expect.poll(async () => tick.textContent(), { timeout: 10_000 }).not.toContain('Last: never');
  await screenshot(page, 'cron-panel');

  await page.getByRole('button', { name: 'Disable cron entry tick' }).click();
  await page.getByText('Cron entry tick disabled').waitFor();
  await tick.getByText('Disabled', { exact: true }).waitFor();
  expect(await tick.textContent()).toContain('Next: disabled');
  const entries = await s.api<CronEntry[]>('/api/cron');
  expect(entries.find((e) => e.name === 'tick')).toMatchObject({ enabled: false, next_run: null });

  // Disabled on the server: no more ticks are enqueued.
  const before = total(await tickCount(s));
  expect(before).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, 2500));
  expect(total(await tickCount(s))).toBe(before);

  await page.getByRole('button', { name: 'Enable cron entry tick' }).click();
  await expect.poll(async () => total(await tickCount(s)), { timeout: 10_000 }).toBeGreaterThan(before);
});

test('an entry runs now from the panel, and its last task opens from its link', async () => {
  const s = await startServer(['--cron', 'tick=* * * * * *;SMS;queue=cron;payload="from cron"', '--cron', 'nightly=0 0 3 * * *;REPORT;timezone=Europe/Paris']);
  server = s;
  ({ page, problems } = await openPage(browser, 1280));
  await page.goto(s.url);
  const panel = page.getByRole('region', { name: 'Cron' });
  await panel.getByRole('button', { name: 'Run cron entry nightly now' }).click();
  await page.getByRole('status').filter({ hasText: /Cron entry nightly enqueued REPORT task/ }).waitFor();
  const reports = await s.api<{ tasks: { id: string; type: string }[] }>('/api/tasks?type=REPORT');
  expect(reports.tasks).toHaveLength(1);
  const history = await s.api<{ kind: string; message: string | null }[]>(`/api/tasks/${reports.tasks[0]?.id ?? ''}/events`);
  expect(history[0]?.message ?? '').toContain('nightly');

  // The entry that ticked links the task it enqueued last.
  const link = panel.getByRole('link', { name: /Last task of tick/ });
  await link.waitFor({ timeout: 10_000 });
  await screenshot(page, 'cron-run-now');
  await link.click();
  await page.locator('aside.detail .detail-status').waitFor();
  expect(page.url()).toMatch(/\/tasks\/[0-9a-f-]+/);
  await page.locator('aside.detail').getByText('SMS').first().waitFor();
});

test('the overview says the retention in force and shows the metrics', async () => {
  const s = await startServer(['--completed-retention-secs', '7200', '--failed-retention-secs', '0']);
  server = s;
  ({ page, problems } = await openPage(browser, 1280));
  await page.goto(s.url);
  await page.getByText('Finished tasks are deleted with their history: completed after 2 h, failed kept forever.').waitFor();
  await page.getByRole('button', { name: 'Metrics' }).click();
  await expect.poll(() => page.getByTestId('metrics-text').textContent(), { timeout: 10_000 }).toContain('rustqueue_');
  await page.getByText(/No recurring tasks/).waitFor();
});
