/** Queue lag and depth, and the throughput history a new tab starts from. */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { launchBrowser, openPage, screenshot, startServer, type ApiTask, type Server } from './harness';
import { waitForStatus } from './pageModel';

let browser: Browser;
let server: Server | null = null;
const pages: { page: Page; problems: string[] }[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser.close();
});
afterEach(async () => {
  for (const { page, problems } of pages.splice(0)) {
    await page.context().close();
    expect(problems).toEqual([]);
  }
  await server?.stop();
  server = null;
});

async function open(s: Server, width = 1280): Promise<Page> {
  const opened = await openPage(browser, width, width < 500 ? 812 : 860);
  pages.push(opened);
  await opened.page.goto(s.url);
  await opened.page.locator('.live-live').waitFor();
  return opened.page;
}

async function enqueue(s: Server, task: object): Promise<ApiTask> {
  return (await s.api<{ task: ApiTask }>('/api/tasks', { body: task })).task;
}

test('queues show lag and ready, scheduled and retrying depth; the chart starts from the server history', async () => {
  const s = (server = await startServer(['--remote-types', 'RESIZE']));
  const done = await s.api<{ tasks: { task: ApiTask }[] }>('/api/tasks/batch', { body: { tasks: Array.from({ length: 12 }, (_, i) => ({ type: 'SMS', payload: `s${i}` })) } });
  const last = done.tasks.at(-1)?.task;
  if (!last) throw new Error('batch answered no tasks');
  const deadline = Date.now() + 15_000;
  while ((await s.api<{ by_status: Record<string, number> }>('/api/counts')).by_status.COMPLETED !== 12 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await enqueue(s, { type: 'RESIZE', payload: 'waits', queue: 'images' });
  await enqueue(s, { type: 'RESIZE', payload: 'later', queue: 'images', delay_ms: 600_000 });

  const page = await open(s);
  // A new tab: the 12 completions happened before it opened.
  await expect.poll(() => page.getByRole('img', { name: /Last 15 minutes/ }).getAttribute('aria-label'), { timeout: 10_000 }).toContain('12 completed');
  const images = page.locator('[data-queue="images"]');
  await images.getByText('1 ready').waitFor({ timeout: 10_000 });
  await images.getByText('1 scheduled').waitFor();
  await expect.poll(() => images.getByTestId('queue-lag').textContent(), { timeout: 10_000 }).toMatch(/^lag \d/);
  await waitForStatus(page, last.id, 'COMPLETED');
  await screenshot(page, 'queues-lag');
});
