/** Queue limits from the dashboard: set in the form, enforced by the server, shown against the running tasks. */
import { expect, test } from 'vitest';
import { screenshot } from './harness';
import { browserSession, enqueue } from './session';

const session = browserSession();

test('a queue limit set in the form holds tasks back, shows its busiest keys, and can be removed', async () => {
  const s = await session.serve(['--remote-types', 'RESIZE']);
  for (const key of ['acme', 'acme', 'zeta']) {
    await enqueue(s, { type: 'RESIZE', payload: key, queue: 'images', concurrency_key: key });
  }
  const page = await session.open(s);
  const images = page.locator('[data-queue="images"]');
  await images.getByText('3 ready').waitFor({ timeout: 10_000 });

  await page.getByRole('button', { name: 'Limits of queue images' }).click();
  const dialog = page.getByRole('dialog', { name: 'Limits of queue images' });
  await dialog.getByLabel('Concurrency').fill('0');
  await dialog.getByRole('button', { name: 'Save limits' }).click();
  await dialog.getByRole('alert').getByText('Concurrency must be a whole number of at least 1').waitFor();
  await dialog.getByLabel('Concurrency').fill('2');
  await dialog.getByLabel('Per key').fill('1');
  await dialog.getByLabel('Named keys').fill('vip=5');
  await dialog.getByRole('checkbox', { name: /Keys take turns/ }).check();
  await dialog.getByRole('button', { name: 'Save limits' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByText('Queue images: limits saved').waitFor();
  const stored = await s.api<{ name: string; limits: object }[]>('/api/queues');
  expect(stored.find((q) => q.name === 'images')?.limits).toEqual({ concurrency: 2, per_key_limit: 1, key_limits: { vip: 5 }, fairness: 'round_robin' });

  // A remote worker asks for ten: the server hands out one per key, two in all.
  const leased = await s.api<{ leases: unknown[] }>('/api/worker/lease', { body: { types: ['RESIZE'], limit: 10, lease_ms: 60_000 } });
  expect(leased.leases).toHaveLength(2);
  await images.getByText('2 / 2 running').waitFor({ timeout: 10_000 });
  await images.getByText('At limit').waitFor();
  await images.getByText('busiest: acme · 1, zeta · 1').waitFor({ timeout: 10_000 });
  await images.getByText('1 per key').waitFor();
  await images.getByText('round-robin').waitFor();
  await screenshot(page, 'queue-limits');

  await page.getByRole('button', { name: 'Limits of queue images' }).click();
  await expect.poll(() => dialog.getByLabel('Named keys').inputValue()).toBe('vip=5');
  await dialog.getByRole('button', { name: 'Remove limits' }).click();
  await dialog.waitFor({ state: 'detached' });
  await images.getByText('2 running', { exact: true }).waitFor({ timeout: 10_000 });
  expect(await images.getByText('At limit').count()).toBe(0);
  expect(await images.getByTestId('queue-limits').count()).toBe(0);
});
