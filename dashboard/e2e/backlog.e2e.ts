/** Queue lag and depth, and the throughput history a new tab starts from. */
import { expect, test } from 'vitest';
import { screenshot, type ApiTask } from './harness';
import { browserSession, enqueue } from './session';
import { waitForStatus } from './pageModel';

const session = browserSession();

test('queues show lag and ready, scheduled and retrying depth; the chart starts from the server history', async () => {
  const s = await session.serve(['--remote-types', 'RESIZE']);
  const done = await s.api<{ tasks: { task: ApiTask }[] }>('/api/tasks/batch', { body: { tasks: Array.from({ length: 12 }, (_, i) => ({ type: 'SMS', payload: `s${i}` })) } });
  const last = done.tasks.at(-1)?.task;
  if (!last) throw new Error('batch answered no tasks');
  const deadline = Date.now() + 15_000;
  while ((await s.api<{ by_status: Record<string, number> }>('/api/counts')).by_status.COMPLETED !== 12 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await enqueue(s, { type: 'RESIZE', payload: 'waits', queue: 'images' });
  await enqueue(s, { type: 'RESIZE', payload: 'later', queue: 'images', delay_ms: 600_000 });

  const page = await session.open(s);
  // A new tab: the 12 completions happened before it opened.
  await expect.poll(() => page.getByRole('img', { name: /Last 15 minutes/ }).getAttribute('aria-label'), { timeout: 10_000 }).toContain('12 completed');
  const images = page.locator('[data-queue="images"]');
  await images.getByText('1 ready').waitFor({ timeout: 10_000 });
  await images.getByText('1 scheduled').waitFor();
  await expect.poll(() => images.getByTestId('queue-lag').textContent(), { timeout: 10_000 }).toMatch(/^lag \d/);
  await waitForStatus(page, last.id, 'COMPLETED');
  await screenshot(page, 'queues-lag');
});
