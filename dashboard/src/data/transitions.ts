/** Applies live `task` events to the cached queries, so the screen follows without refetching everything. */
import type { QueryClient } from '@tanstack/react-query';
import type { Task, TaskPage, TaskTransition } from '../services/types';
import { keys } from './keys';

/** The page with the task's new status, or without the task when it was deleted. */
export function patchPage(page: TaskPage, transition: TaskTransition): TaskPage {
  const index = page.tasks.findIndex((task) => task.id === transition.task_id);
  if (index === -1) return page;
  const { status } = transition;
  const tasks = status
    ? page.tasks.map((task, i) => (i === index ? { ...task, status } : task))
    : page.tasks.filter((_, i) => i !== index);
  return { ...page, tasks };
}

/** Updates every cached page and the task's own cache at once; the caller refetches later for the other fields. */
export function applyTransition(client: QueryClient, transition: TaskTransition): void {
  client.setQueriesData<TaskPage>({ queryKey: keys.pages }, (page) => page && patchPage(page, transition));
  const { status, task_id: id } = transition;
  if (status) {
    client.setQueryData<Task>(keys.task(id), (task) => task && { ...task, status });
  }
  if (client.getQueryState(keys.task(id))) {
    void client.invalidateQueries({ queryKey: keys.task(id) });
    void client.invalidateQueries({ queryKey: keys.history(id) });
  }
}

/** Calls `run` at most once per `ms`, trailing: the last call in a burst always runs. */
export function throttle(run: () => void, ms: number): { call: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  return {
    call: () => {
      if (timer !== null) return;
      const wait = Math.max(0, last + ms - Date.now());
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        run();
      }, wait);
    },
    cancel: () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
