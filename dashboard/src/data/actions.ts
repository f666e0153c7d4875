/** What the dashboard can change, as mutations that confirm with a toast and refresh the caches they touch. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { runCronNow, setCronEnabled } from '../services/cron';
import { setQueueLimits } from '../services/limits';
import { setQueuePaused } from '../services/queues';
import { deleteMany as deleteManyTasks, deleteTask, enqueueBatch, enqueueTask, retryMany as retryManyTasks, retryTask } from '../services/tasks';
import type { CronEntry, EnqueuedTask, NewTask, QueueInfo, QueueLimits } from '../services/types';
import { keys } from './keys';
import { pushToast } from './toasts';

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/** Every action, each with its pending flag. */
export function useActions() {
  const client = useQueryClient();
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.pages });
    void client.invalidateQueries({ queryKey: keys.counts });
    void client.invalidateQueries({ queryKey: keys.queues });
  };

  const enqueue = useMutation({
    mutationFn: async ({ task, copies }: { task: NewTask; copies: number }): Promise<EnqueuedTask[]> =>
      copies > 1 ? enqueueBatch(Array.from({ length: copies }, () => task)) : [await enqueueTask(task)],
    onSuccess: (answers) => {
      const created = answers.filter((answer) => !answer.duplicate).map((answer) => answer.task);
      const first = created[0];
      // A duplicate created nothing: the form says so and links the task that holds the key.
      if (created.length === 0) return;
      pushToast('success', created.length === 1 && first ? `Enqueued ${first.type} task ${first.id.slice(-8)}` : `Enqueued ${plural(created.length, 'task')}`);
      refresh();
    },
  });
  const retry = useMutation({
    mutationFn: retryTask,
    onSuccess: (task) => {
      pushToast('success', `Task ${task.id.slice(-8)} queued again`);
      client.setQueryData(keys.task(task.id), task);
      void client.invalidateQueries({ queryKey: keys.history(task.id) });
      refresh();
    },
  });

  const remove = useMutation({
    mutationFn: deleteTask,
    onSuccess: (_, id) => {
      pushToast('success', `Task ${id.slice(-8)} deleted`);
      client.removeQueries({ queryKey: keys.task(id) });
      client.removeQueries({ queryKey: keys.history(id) });
      refresh();
    },
  });

  const retryMany = useMutation({
    mutationFn: retryManyTasks,
    onSuccess: ({ retried }) => {
      pushToast('success', retried === 0 ? 'No failed tasks to retry' : `${plural(retried, 'failed task')} queued again`);
      refresh();
    },
  });
  const removeMany = useMutation({
    mutationFn: deleteManyTasks,
    onSuccess: ({ deleted }) => {
      pushToast('success', `Deleted ${plural(deleted, 'task')}`);
      client.removeQueries({ queryKey: ['task'] });
      client.removeQueries({ queryKey: ['history'] });
      refresh();
    },
  });
  const showQueue = (queue: QueueInfo) =>
    client.setQueryData<QueueInfo[]>(keys.queues, (queues) =>
      queues?.some((q) => q.name === queue.name) ? queues.map((q) => (q.name === queue.name ? queue : q)) : [...(queues ?? []), queue],
    );
  const pause = useMutation({
    mutationFn: ({ name, paused }: { name: string; paused: boolean }) => setQueuePaused(name, paused),
    onSuccess: (queue) => {
      pushToast('success', `Queue ${queue.name} ${queue.paused ? 'paused' : 'resumed'}`);
      showQueue(queue);
    },
  });
  // The limits form shows a refusal next to its fields, not as a toast.
  const limits = useMutation({
    meta: { quiet: true },
    mutationFn: ({ name, limits }: { name: string; limits: QueueLimits }) => setQueueLimits(name, limits),
    onSuccess: (queue) => {
      const removed = Object.keys(queue.limits).length === 0;
      pushToast('success', `Queue ${queue.name}: ${removed ? 'limits removed' : 'limits saved'}`);
      showQueue(queue);
    },
  });

  const cron = useMutation({
    mutationFn: ({ name, enabled }: { name: string; enabled: boolean }) => setCronEnabled(name, enabled),
    onSuccess: (entry) => {
      pushToast('success', `Cron entry ${entry.name} ${entry.enabled ? 'enabled' : 'disabled'}`);
      client.setQueryData<CronEntry[]>(keys.cron, (entries) => entries?.map((e) => (e.name === entry.name ? entry : e)));
    },
  });

  const cronRun = useMutation({
    mutationFn: runCronNow,
    onSuccess: (task, name) => {
      pushToast('success', `Cron entry ${name} enqueued ${task.type} task ${task.id.slice(-8)}`);
      void client.invalidateQueries({ queryKey: keys.cron });
      refresh();
    },
  });
  return { enqueue, retry, remove, retryMany, removeMany, pause, limits, cron, cronRun };
}
