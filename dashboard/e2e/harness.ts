/**
 * What the end-to-end tests stand on: a real `rustqueue serve` on a free port
 * (memory store, demo types sped up), and Debian's Chromium driven by playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The server binary: the debug build unless RUSTQUEUE_BIN names another. */
export const BINARY = process.env.RUSTQUEUE_BIN ?? join(ROOT, 'target/debug/rustqueue');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where screenshots go (CI keeps this folder). */
export const SCREENSHOTS = process.env.SCREENSHOT_DIR ?? join(ROOT, 'artifacts/screenshots');

/** A running server. */
export interface Server {
  url: string;
  /** Calls the server's API directly (to set up or check state). */
  api: <T>(path: string, init?: { method?: string; body?: unknown; token?: string }) => Promise<T>;
  /** Stops it with SIGTERM (SIGKILL after 10 s), or at once with `{ crash: true }`. */
  stop: (options?: { crash?: boolean }) => Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

async function pollUntil(check: () => Promise<boolean>, deadlineMs: number, what: string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Resolves once the child has exited, or could not be started at all. */
function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else {
      child.once('exit', () => done());
      child.once('error', () => done());
    }
  });
}

/** How to start a server beyond its flags: the store (memory by default) and the demo speed (20). */
export interface ServerOptions {
  databaseUrl?: string;
  demoSpeed?: number;
  /** How long to wait for it to be ready (a large SQLite file takes longer to open). */
  readyTimeoutMs?: number;
}

/** Starts `rustqueue serve` on a free port and waits until it is ready. */
export async function startServer(extra: string[] = [], options: ServerOptions = {}): Promise<Server> {
  if (!existsSync(BINARY)) {
    throw new Error(`${BINARY} does not exist: build it with \`cargo build --bin rustqueue\` (scripts/e2e.sh does), or name another with RUSTQUEUE_BIN`);
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { databaseUrl = 'memory://', demoSpeed = 20, readyTimeoutMs = 20_000 } = options;
  const args = ['serve', '--bind', `127.0.0.1:${port}`, '--database-url', databaseUrl, '--demo-speed', String(demoSpeed), ...extra];
  const child = spawn(BINARY, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } });
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const died = exited(child).then(() => {
    throw new Error(`rustqueue exited early (${String(child.exitCode)}): ${log}`);
  });
  await Promise.race([pollUntil(async () => (await fetch(`${url}/readyz`)).ok, readyTimeoutMs, `${BINARY} on ${url}`), died]);
  died.catch(() => undefined);
  const api = async <T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    const response = await fetch(`${url}${path}`, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const stop = async ({ crash = false } = {}) => {
    child.kill(crash ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(timer);
  };
  return { url, api, stop };
}

/** Launches headless Chromium from Debian's package. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A fresh page of the given width that fails the test on any script error or alert. */
export async function openPage(browser: Browser, width = 1280, height = 860): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: width < 500 ? 2 : 1 });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`unexpected dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, problems };
}

/** Saves a screenshot under artifacts/screenshots. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage, animations: 'disabled' });
}

/** The minimal task shape the tests read from the API. */
export interface ApiTask {
  id: string;
  type: string;
  status: string;
  payload: unknown;
}
