import { useEffect, useState } from 'react';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { TaskDetail } from '../components/TaskDetail';
import { useActions } from '../data/actions';
import { useHistory, useTask } from '../data/queries';
import { navigate, type Route } from '../routing';
import { ApiError } from '../services/http';

/** The task panel for the task the address names; Escape closes it. */
export function TaskPanel({ route, id }: { route: Route; id: string }) {
  const task = useTask(id);
  const history = useHistory(id);
  const actions = useActions();
  const [confirming, setConfirming] = useState(false);
  const close = () => navigate({ ...route, taskId: null });

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !event.defaultPrevented) navigate({ ...route, taskId: null });
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [route]);

  const missing = task.error instanceof ApiError && task.error.status === 404;
  return (
    <>
      <div className="detail-backdrop" onClick={close} aria-hidden="true" />
      <TaskDetail
        id={id}
        task={missing ? undefined : task.data}
        history={history.data}
        loading={task.isPending}
        missing={missing}
        busy={actions.retry.isPending || actions.remove.isPending}
        onRetry={() => actions.retry.mutate(id)}
        onDelete={() => setConfirming(true)}
        onClose={close}
      />
      {confirming && (
        <ConfirmDialog
          title="Delete this task?"
          confirmLabel="Delete task"
          pending={actions.remove.isPending}
          onCancel={() => setConfirming(false)}
          onConfirm={() =>
            actions.remove.mutate(id, {
              onSuccess: close,
              onSettled: () => setConfirming(false),
            })
          }
        >
          <p>The task and its history are deleted; if it is running, its handler is cancelled.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
