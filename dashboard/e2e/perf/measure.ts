/**
 * Timings taken inside the page, so that the test's own round trips to the
 * browser never count: navigation start to the first task rows, and an action
 * (a click, a choice, a search) to the moment its new rows are on screen.
 */
import type { Page } from 'playwright-core';

/** What the new rows must show for an action to count as done. */
export interface Expect {
  status?: string;
  type?: string;
  queue?: string;
  /** Text every row's payload cell contains. */
  payload?: string;
  /** None of the rows shown before the action (a new page). */
  disjoint?: boolean;
}

/** What to do: click an element, choose an option of a select, or type into an input. */
export type Action =
  | { click: string }
  | { select: string; value: string }
  | { type: string; value: string };

/**
 * The time of one action, in ms from the action: when the page's request for
 * the rows started and ended (null when none was sent), when React committed
 * the rows, and when the browser painted them.
 */
export interface Timing {
  requestStart: number | null;
  responseEnd: number | null;
  dom: number;
  painted: number;
  rows: number;
}

/** Records, from the very start of each page load, when the first task rows are in the DOM and painted. */
export async function watchFirstRows(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const marks = window as unknown as { firstRowsAt: number; firstRowsPainted: number };
    new MutationObserver((_, observer) => {
      if (!document.querySelector('tr[data-task-id]')) return;
      observer.disconnect();
      marks.firstRowsAt = performance.now();
      requestAnimationFrame(() => setTimeout(() => (marks.firstRowsPainted = performance.now())));
    }).observe(document, { subtree: true, childList: true });
  });
}

/**
 * A first screen, in ms from navigation start: the script loaded, the rows
 * requested and answered, the rows in the DOM, and painted.
 */
export interface FirstScreen {
  scriptEnd: number;
  requestStart: number;
  responseEnd: number;
  dom: number;
  painted: number;
}

/** The first screen's timings, once its rows are there. */
export async function firstScreen(page: Page): Promise<FirstScreen> {
  await page.waitForFunction(() => 'firstRowsPainted' in window, undefined, { timeout: 30_000 });
  return page.evaluate(() => {
    const resources = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
    const script = resources.find((entry) => entry.name.endsWith('.js'));
    const tasks = resources.find((entry) => entry.name.includes('/api/tasks?'));
    return {
      scriptEnd: script?.responseEnd ?? 0,
      requestStart: tasks?.startTime ?? 0,
      responseEnd: tasks?.responseEnd ?? 0,
      dom: (window as unknown as { firstRowsAt: number }).firstRowsAt,
      painted: (window as unknown as { firstRowsPainted: number }).firstRowsPainted,
    };
  });
}

/** Performs `action` in the page and times it until the rows satisfy `expect`. */
export function timeAction(page: Page, action: Action, expect: Expect): Promise<Timing> {
  return page.evaluate(
    ({ action, expect }) =>
      new Promise<Timing>((resolve, reject) => {
        const rows = () => Array.from(document.querySelectorAll<HTMLElement>('tr[data-task-id]'));
        const before = rows().map((tr) => tr.dataset.taskId ?? '');
        const seen = new Set(before);
        const text = (tr: HTMLElement, selector: string) => tr.querySelector(selector)?.textContent ?? '';
        const done = () => {
          const now = rows();
          const ids = now.map((tr) => tr.dataset.taskId ?? '');
          if (now.length === 0 || ids.join() === before.join()) return false;
          if (expect.disjoint && ids.some((id) => seen.has(id))) return false;
          return now.every(
            (tr) =>
              (!expect.status || tr.querySelector(`[data-status="${expect.status}"]`)) &&
              (!expect.type || text(tr, '.task-type') === expect.type) &&
              (!expect.queue || text(tr, '.cell-queue') === expect.queue) &&
              (!expect.payload || (tr.querySelector('.cell-payload')?.getAttribute('title') ?? '').includes(expect.payload)),
          );
        };
        const element = document.querySelector<HTMLElement>('click' in action ? action.click : 'select' in action ? action.select : action.type);
        if (!element) {
          reject(new Error(`nothing matches ${JSON.stringify(action)}`));
          return;
        }
        const timer = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`no rows for ${JSON.stringify(expect)} within 20 s`));
        }, 20_000);
        const start = performance.now();
        const observer = new MutationObserver(() => {
          if (!done()) return;
          observer.disconnect();
          clearTimeout(timer);
          const dom = performance.now() - start;
          const count = rows().length;
          const request = performance
            .getEntriesByType('resource')
            .filter((entry) => entry.name.includes('/api/tasks?') && entry.startTime >= start)
            .pop() as PerformanceResourceTiming | undefined;
          const requestStart = request ? request.startTime - start : null;
          const responseEnd = request ? request.responseEnd - start : null;
          // The frame after the commit is painted by the time the next task runs.
          requestAnimationFrame(() =>
            setTimeout(() => resolve({ requestStart, responseEnd, dom, painted: performance.now() - start, rows: count })),
          );
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
        if ('click' in action) {
          element.click();
        } else {
          // Set the value the way a person's input does, so that React sees the event.
          const input = element as HTMLInputElement | HTMLSelectElement;
          const proto = input instanceof HTMLSelectElement ? HTMLSelectElement.prototype : HTMLInputElement.prototype;
          Object.getOwnPropertyDescriptor(proto, 'value')?.set?.call(input, action.value);
          input.dispatchEvent(new Event('select' in action ? 'change' : 'input', { bubbles: true }));
        }
      }),
    { action, expect },
  );
}

/** The median of some numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
