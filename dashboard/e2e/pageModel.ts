/** What the tests do on the dashboard, in its own words: enqueue, find a row, open a task. */
import type { Locator, Page } from 'playwright-core';
import type { ApiTask, Server } from './harness';

/** Fills the enqueue form and submits it; returns the new task (the newest one). */
export async function enqueueFromForm(
  page: Page,
  server: Server,
  type: string,
  payload: string,
  options: { delaySeconds?: number } = {},
): Promise<ApiTask> {
  const form = page.getByRole('region', { name: 'Enqueue a task' });
  await form.getByLabel('Type').selectOption(type);
  await form.getByLabel('Payload', { exact: true }).fill(payload);
  if (options.delaySeconds !== undefined) {
    const more = form.locator('details.advanced');
    if (!(await more.evaluate((node) => (node as HTMLDetailsElement).open))) await more.locator('summary').click();
    await form.getByLabel('Delay (s)').fill(String(options.delaySeconds));
  }
  const newest = async () => (await server.api<{ tasks: ApiTask[] }>('/api/tasks?limit=1')).tasks[0];
  const before = (await newest())?.id;
  await form.getByRole('button', { name: 'Enqueue', exact: true }).click();
  const deadline = Date.now() + 10_000;
  let task = await newest();
  while (task?.id === before && Date.now() < deadline) task = await newest();
  if (!task || task.id === before) throw new Error('the form enqueued nothing');
  await page.getByRole('status').filter({ hasText: `Enqueued ${type} task ${task.id.slice(-8)}` }).waitFor();
  if (options.delaySeconds !== undefined) {
    await form.getByLabel('Delay (s)').fill('');
  }
  return task;
}

/** The row of a task in the list. */
export function row(page: Page, id: string): Locator {
  return page.locator(`tr[data-task-id="${id}"]`);
}

/** Waits until the row shows `status`. */
export async function waitForStatus(page: Page, id: string, status: string, timeout = 15_000): Promise<void> {
  await row(page, id).locator(`[data-status="${status}"]`).waitFor({ timeout });
}

/**
 * Records every status a task's row shows, however briefly, from inside the
 * page (a MutationObserver sees each render; polling from the test could miss one).
 */
export async function recordStatuses(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    (window as unknown as { seenStatuses: typeof seen }).seenStatuses = seen;
    const scan = () => {
      document.querySelectorAll<HTMLElement>('tr[data-task-id]').forEach((tr) => {
        const id = tr.dataset.taskId ?? '';
        const status = tr.querySelector<HTMLElement>('[data-status]')?.dataset.status;
        const list = (seen[id] ??= []);
        if (status && list[list.length - 1] !== status) list.push(status);
      });
    };
    new MutationObserver(scan).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    scan();
  });
}

/** The statuses a task's row showed since `recordStatuses`, in order. */
export function seenStatuses(page: Page, id: string): Promise<string[]> {
  return page.evaluate((taskId) => (window as unknown as { seenStatuses: Record<string, string[]> }).seenStatuses[taskId] ?? [], id);
}

/** Opens a task's panel by clicking its row's link. */
export async function openTask(page: Page, id: string): Promise<Locator> {
  await row(page, id).getByRole('link').click();
  const panel = page.locator('aside.detail');
  await panel.locator('.detail-status').waitFor();
  return panel;
}
