import { formatAgo, formatCount, formatLocal } from '../format';
import type { Task } from '../services/types';
import { shortId } from './TaskTable';

/** A link to a task's panel. */
function TaskLink({ task, onOpen }: { task: Task; onOpen: (id: string) => void }) {
  return (
    <a
      href={`/tasks/${encodeURIComponent(task.id)}`}
      onClick={(event) => {
        event.preventDefault();
        onOpen(task.id);
      }}
      aria-label={`${task.type} task ${task.id}`}
    >
      <span className="task-type">{task.type}</span> <span className="mono small">{shortId(task.id)}</span>
    </a>
  );
}

/**
 * What failed: FAILED tasks per type (each filters the list) and the newest
 * failures with their last error, linked to their panels.
 */
export function FailuresPanel({
  byType,
  recent,
  now,
  onFilterType,
  onOpenTask,
}: {
  /** FAILED tasks per type, most first. */
  byType: [string, number][];
  recent: Task[] | undefined;
  now: number;
  onFilterType: (type: string) => void;
  onOpenTask: (id: string) => void;
}) {
  const total = byType.reduce((sum, [, count]) => sum + count, 0);
  return (
    <section className="card" aria-labelledby="failures-title">
      <header className="card-header">
        <h2 id="failures-title" className="card-title">
          Failures
        </h2>
        <span className={`small ${total > 0 ? 'failures-total' : 'muted'}`}>{total > 0 ? formatCount(total) : ''}</span>
      </header>
      {total === 0 && <p className="muted small pad">No failed tasks.</p>}
      {total > 0 && (
        <ul className="failure-types" aria-label="Failed tasks per type">
          {byType.map(([type, count]) => (
            <li key={type}>
              <button type="button" className="failure-type" onClick={() => onFilterType(type)} title={`Show the failed ${type} tasks`}>
                <span className="task-type">{type}</span>
                <span className="failure-count">{formatCount(count)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {recent && recent.length > 0 && (
        <ul className="failures" aria-label="Newest failures">
          {recent.map((task) => (
            <li key={task.id} className="failure">
              <span className="failure-head">
                <TaskLink task={task} onOpen={onOpenTask} />
                {task.finished_at && (
                  <time className="muted small" dateTime={task.finished_at} title={formatLocal(task.finished_at)}>
                    {formatAgo(task.finished_at, now)}
                  </time>
                )}
              </span>
              {task.last_error && <span className="failure-error mono small">{task.last_error}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
