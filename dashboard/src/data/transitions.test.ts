import { QueryClient } from '@tanstack/react-query';
import type { Task, TaskPage } from '../services/types';
import { makeTask } from '../test/factories';
import { keys } from './keys';
import { applyTransition, patchPage, throttle } from './transitions';

describe('patchPage', () => {
  const a = makeTask();
  const b = makeTask();
  const page: TaskPage = { tasks: [a, b], next_cursor: 'c' };

  it('sets the status of the task the event names', () => {
    const next = patchPage(page, { task_id: b.id, kind: 'started', status: 'INPROGRESS' });
    expect(next.tasks.map((t) => t.status)).toEqual(['QUEUED', 'INPROGRESS']);
    expect(next.next_cursor).toBe('c');
  });

  it('drops a deleted task', () => {
    expect(patchPage(page, { task_id: a.id, kind: 'cancelled', status: null }).tasks).toEqual([b]);
  });

  it('leaves a page without the task as it is', () => {
    expect(patchPage(page, { task_id: 'other', kind: 'completed', status: 'COMPLETED' })).toBe(page);
  });
});

describe('applyTransition', () => {
  it('patches every cached page and the open task', () => {
    const client = new QueryClient();
    const task = makeTask();
    client.setQueryData(keys.page({}, null), { tasks: [task] });
    client.setQueryData(keys.page({ type: 'EMAIL' }, null), { tasks: [task] });
    client.setQueryData(keys.task(task.id), task);
    applyTransition(client, { task_id: task.id, kind: 'completed', status: 'COMPLETED' });
    expect(client.getQueryData<TaskPage>(keys.page({}, null))?.tasks[0]?.status).toBe('COMPLETED');
    expect(client.getQueryData<TaskPage>(keys.page({ type: 'EMAIL' }, null))?.tasks[0]?.status).toBe('COMPLETED');
    expect(client.getQueryData<Task>(keys.task(task.id))?.status).toBe('COMPLETED');
  });
});

describe('throttle', () => {
  it('runs once per burst, after the burst', () => {
    vi.useFakeTimers();
    const run = vi.fn();
    const throttled = throttle(run, 100);
    throttled.call();
    throttled.call();
    throttled.call();
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(1);
    throttled.call();
    vi.advanceTimersByTime(50);
    expect(run).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60);
    expect(run).toHaveBeenCalledTimes(2);
    vi.useRealTimers();
  });
});
