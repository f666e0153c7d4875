/**
 * The dashboard as people see it, at 1280 and 375 px, with a realistic load
 * running; plus what the server must serve for it (the OpenAPI document the
 * types follow, the client-route fallback).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchBrowser, openPage, ROOT, screenshot, startServer, type ApiTask, type Server } from './harness';
import { openTask, row, waitForStatus } from './pageModel';

let browser: Browser;
let server: Server;

beforeAll(async () => {
  browser = await launchBrowser();
  server = await startServer(['--backoff-base-ms', '200', '--backoff-cap-ms', '400']);
});
afterAll(async () => {
  await browser.close();
  await server.stop();
});

test('the checked-in openapi.json is what the server serves', async () => {
  const served: unknown = await (await fetch(`${server.url}/openapi.json`)).json();
  const copy: unknown = JSON.parse(readFileSync(join(ROOT, 'dashboard/openapi.json'), 'utf8'));
  // When this fails: `curl <server>/openapi.json > dashboard/openapi.json && npm run api:types`.
  expect(copy).toEqual(served);
});

test('the server serves the app at / and at client routes, but never instead of the API', async () => {
  for (const path of ['/', '/tasks/some-id', '/anything/else']) {
    const response = await fetch(`${server.url}${path}`);
    expect(response.headers.get('content-type'), path).toContain('text/html');
    expect(await response.text()).toContain('<div id="root">');
  }
  for (const path of ['/api/nope', '/docs/nope', '/missing.js']) {
    const response = await fetch(`${server.url}${path}`);
    expect(response.status, path).toBe(404);
    expect(await response.text(), path).not.toContain('<div id="root">');
  }
  for (const path of ['/api/nope', '/missing.js', '/docs/nope']) {
    expect(await (await fetch(`${server.url}${path}`)).json(), path).toHaveProperty('detail');
  }
});

const TYPES = ['EMAIL', 'SMS', 'REPORT', 'NEWSLETTER', 'DATACLEANUP', 'FAIL'];
const PAYLOADS = [
  { to: 'ada@example.com', template: 'welcome' },
  '+44 20 7946 0958',
  { report: 'monthly-revenue', month: '2026-10' },
  { list: 'product-updates', issue: 42 },
  { table: 'sessions', older_than_days: 30 },
  'order #10442',
];

function randomTask(i: number): object {
  const k = i % TYPES.length;
  return { type: TYPES[k], payload: PAYLOADS[k], queue: ['default', 'mail', 'reports'][i % 3] };
}

/** Keeps a varying load running for `seconds`, so the chart has a shape. */
async function produce(seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000;
  let i = 0;
  while (Date.now() < end) {
    const phase = (Date.now() % 12_000) / 12_000;
    const size = 2 + Math.round(10 * Math.abs(Math.sin(phase * Math.PI)));
    const tasks = Array.from({ length: size }, () => randomTask(i++));
    if (i % 7 === 0) tasks.push({ type: 'FAILABS', payload: { charge: 'card_declined' }, queue: 'default' });
    await server.api('/api/tasks/batch', { body: { tasks } });
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function settle(page: Page): Promise<void> {
  await page.locator('.live-live').waitFor();
  await page.locator('tr[data-task-id]').first().waitFor();
}

test('screens at 1280 and 375 px, under load', async () => {
  const desktop = await openPage(browser, 1280, 860);
  const mobile = await openPage(browser, 375, 812);
  await desktop.page.goto(server.url);
  await mobile.page.goto(server.url);
  await produce(Number(process.env.SCREENS_LOAD_SECONDS ?? 25));
  // Something for every status at the moment of the shot.
  await server.api('/api/queues/reports/pause', { method: 'POST' });
  await server.api('/api/tasks/batch', {
    body: {
      tasks: [
        ...Array.from({ length: 4 }, () => ({ type: 'REPORT', payload: { report: 'quarterly' }, queue: 'reports' })),
        ...Array.from({ length: 3 }, () => ({ type: 'TAKESLONG', payload: { export: 'full-backup' }, timeout_ms: 60_000 })),
      ],
    },
  });
  const failed = await server.api<ApiTask>('/api/tasks', { body: { type: 'FAILABS', payload: { charge: 'card_declined', amount: 4200 } } });
  const failedId = (failed as unknown as { task: ApiTask }).task.id;

  for (const { page } of [desktop, mobile]) {
    await settle(page);
    // Paused through the API, not from this page: the queue list polls for it.
    await page.locator('.queue-paused .queue-label', { hasText: 'reports' }).waitFor({ timeout: 10_000 });
  }
  await waitForStatus(desktop.page, failedId, 'FAILED');
  // The counts arrive once a second: wait for the held REPORT tasks to be among them.
  const queued = () => desktop.page.getByTestId('chip-queued').locator('.chip-count').textContent();
  await expect.poll(async () => Number(await queued()), { timeout: 5_000 }).toBeGreaterThanOrEqual(4);
  await screenshot(desktop.page, 'desktop-overview');
  await screenshot(mobile.page, 'mobile-overview', true);
  await screenshot(mobile.page, 'mobile-overview-top');
  const width = await mobile.page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, 'nothing overflows a 375 px screen').toBeLessThanOrEqual(375);

  await openTask(desktop.page, failedId);
  await desktop.page.locator('.timeline-item[data-kind="failed"]').waitFor();
  await screenshot(desktop.page, 'desktop-detail');
  await mobile.page.goto(`${server.url}/tasks/${failedId}`);
  await mobile.page.locator('.timeline-item[data-kind="failed"]').waitFor();
  await screenshot(mobile.page, 'mobile-detail');
  expect(await row(desktop.page, failedId).count()).toBe(1);

  for (const { page, problems } of [desktop, mobile]) {
    await page.context().close();
    expect(problems).toEqual([]);
  }
}, 120_000);
