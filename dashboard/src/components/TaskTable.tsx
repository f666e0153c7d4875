import type { ReactNode } from 'react';
import type { RowSelection } from '../data/selection';
import { formatLocal, formatAgo, payloadPreview } from '../format';
import type { Task } from '../services/types';
import { StatusBadge } from './StatusBadge';

/** The last characters of an id: enough to tell tasks apart at a glance. */
export function shortId(id: string): string {
  return id.length > 13 ? `…${id.slice(-12)}` : id;
}

/** The tasks of one page, newest first; a row (or its link) opens the task, its box ticks it for a bulk action. */
export function TaskTable({
  tasks,
  loading,
  selectedId,
  now,
  empty,
  selection,
  note,
  onOpen,
}: {
  tasks: Task[] | undefined;
  loading: boolean;
  selectedId: string | null;
  now: number;
  empty: ReactNode;
  /** The ticked rows; without it the table has no boxes. */
  selection?: RowSelection;
  /** A warning to show beside a row's status (why it may not run), by task. */
  note?: (task: Task) => ReactNode;
  onOpen: (id: string) => void;
}) {
  if (!tasks && loading) {
    return (
      <div className="table-loading" role="status" aria-label="Loading tasks">
        {Array.from({ length: 6 }, (_, i) => (
          <div key={i} className="skeleton-row" />
        ))}
      </div>
    );
  }
  if (!tasks || tasks.length === 0) return <>{empty}</>;
  return (
    <table className="tasks">
      <thead>
        <tr>
          {selection && (
            <th scope="col" className="cell-check">
              <input
                type="checkbox"
                aria-label="Select every task of this page"
                checked={tasks.every((task) => selection.selected.has(task.id))}
                onChange={selection.togglePage}
              />
            </th>
          )}
          <th scope="col" className="col-status">Status</th>
          <th scope="col" className="col-task">Task</th>
          <th scope="col" className="col-queue">Queue</th>
          <th scope="col" className="col-payload">Payload</th>
          <th scope="col" className="num col-attempts">
            Attempts
          </th>
          <th scope="col" className="col-created">Created</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((task) => (
          <tr
            key={task.id}
            className={[task.id === selectedId && 'selected', selection?.selected.has(task.id) && 'ticked'].filter(Boolean).join(' ') || undefined}
            onClick={() => onOpen(task.id)}
            data-task-id={task.id}
          >
            {selection && (
              <td className="cell-check" onClick={(event) => event.stopPropagation()}>
                <input
                  type="checkbox"
                  aria-label={`Select task ${task.id}`}
                  checked={selection.selected.has(task.id)}
                  onChange={() => undefined}
                  onClick={(event) => selection.toggle(task.id, event.shiftKey)}
                />
              </td>
            )}
            <td className="cell-status">
              <StatusBadge status={task.status} />
              {note?.(task)}
            </td>
            <td className="cell-task">
              <a
                href={`/tasks/${encodeURIComponent(task.id)}`}
                onClick={(event) => {
                  event.preventDefault();
                  event.stopPropagation();
                  onOpen(task.id);
                }}
                aria-current={task.id === selectedId ? 'true' : undefined}
                aria-label={`${task.type} task ${task.id}`}
              >
                <span className="task-type">{task.type}</span>
                <span className="task-id mono">{shortId(task.id)}</span>
              </a>
            </td>
            <td className="cell-queue">
              <span className="tag">{task.queue}</span>
            </td>
            <td className="cell-payload mono" title={typeof task.payload === 'string' ? task.payload : JSON.stringify(task.payload)}>
              {payloadPreview(task.payload)}
            </td>
            <td className="cell-attempts num">
              {task.attempts}/{task.max_retries}
            </td>
            <td className="cell-created">
              <time dateTime={task.created_at} title={formatLocal(task.created_at)}>
                {formatAgo(task.created_at, now)}
              </time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
