/** What someone on call looks at first: the workers, and the types no worker serves. */
import { expect, test } from 'vitest';
import { screenshot, type ApiTask } from './harness';
import { browserSession, enqueue } from './session';
import { row } from './pageModel';

const session = browserSession();

test('types no worker serves are called out, and the workers view shows who runs what', async () => {
  const s = await session.serve(['--remote-types', 'RESIZE,OCR']);
  const resize = await enqueue(s, { type: 'RESIZE', payload: { url: 'cat.png' } });
  const ocr = await enqueue(s, { type: 'OCR', payload: { url: 'scan.pdf' } });
  const page = await session.open(s);
  const unserved = page.getByRole('region', { name: 'No worker for these types' });
  await unserved.getByText(/RESIZE: 1 queued, no worker serves it/).waitFor();
  await unserved.getByText(/OCR: 1 queued/).waitFor();
  await row(page, resize.id).getByTestId('unserved').waitFor();

  // A remote worker asks for OCR and takes the task.
  const leased = await s.api<{ leases: { task: ApiTask }[] }>('/api/worker/lease', { body: { types: ['OCR'], worker_id: 'ocr-worker-1' } });
  expect(leased.leases.map((lease) => lease.task.id)).toEqual([ocr.id]);
  const workers = page.getByRole('region', { name: 'Workers' });
  const remote = workers.locator('[data-worker="ocr-worker-1"]');
  await remote.waitFor({ timeout: 10_000 });
  expect(await remote.textContent()).toContain('remote');
  await workers.locator('[data-worker^="node:"]').waitFor();
  // The types are polled: OCR leaves the list once its worker is counted.
  await expect.poll(() => unserved.textContent(), { timeout: 15_000 }).not.toContain('OCR');
  await screenshot(page, 'workers');
  await remote.getByRole('link', { name: new RegExp(ocr.id) }).click();
  await page.locator('aside.detail .detail-status').waitFor();
  expect(page.url()).toContain(`/tasks/${ocr.id}`);

  const phone = await session.open(s, 375);
  await phone.getByRole('region', { name: 'Workers' }).locator('[data-worker="ocr-worker-1"]').waitFor({ timeout: 10_000 });
  await phone.getByRole('region', { name: 'Workers' }).scrollIntoViewIfNeeded();
  await screenshot(phone, 'mobile-workers');
  expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
});
