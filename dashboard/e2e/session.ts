/**
 * One browser per test file; every page and server a test opens is closed
 * after it, and no page may have logged a problem.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchBrowser, openPage, startServer, type ApiTask, type Server } from './harness';

export interface Session {
  /** Starts a server for this test (stopped after it). */
  serve(extra?: string[]): Promise<Server>;
  /** Opens the dashboard of `server` at `width` px and waits until it is live. */
  open(server: Server, width?: number): Promise<Page>;
}

/** Registers the file's hooks and returns what its tests use. */
export function browserSession(): Session {
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
  return {
    serve: async (extra = []) => (server = await startServer(extra)),
    open: async (s, width = 1280) => {
      const opened = await openPage(browser, width, width < 500 ? 812 : 860);
      pages.push(opened);
      await opened.page.goto(s.url);
      await opened.page.locator('.live-live').waitFor();
      return opened.page;
    },
  };
}

/** Enqueues one task through the full API. */
export async function enqueue(s: Server, task: object): Promise<ApiTask> {
  return (await s.api<{ task: ApiTask }>('/api/tasks', { body: task })).task;
}
