import { formatAgo, formatDuration, formatLocal } from '../format';
import type { WorkerInfo } from '../services/types';
import { shortId } from './TaskTable';

/** A worker not heard from for this long is marked stale: its leases will expire unless it comes back. */
export const STALE_MS = 30_000;

function Worker({ worker, now, onOpenTask }: { worker: WorkerInfo; now: number; onOpenTask: (id: string) => void }) {
  const seen = worker.last_seen_at ?? null;
  const stale = seen === null || now - Date.parse(seen) > STALE_MS;
  const name = worker.hostname ? `${worker.hostname}${worker.pid ? `:${worker.pid}` : ''}` : shortId(worker.id);
  const load = worker.concurrency ? `${worker.running.length}/${worker.concurrency}` : String(worker.running.length);
  return (
    <li className={`worker${stale ? ' worker-stale' : ''}`} data-worker={worker.id}>
      <div className="worker-head">
        <span className="worker-id mono" title={worker.id}>
          {name}
        </span>
        <span className="tag">{worker.kind === 'local' ? 'server node' : 'remote'}</span>
        {stale && <span className="tag tag-stale">Stale</span>}
        <span className="worker-load small" title="Running tasks / concurrency">
          {load} running
        </span>
      </div>
      <span className="worker-seen small muted">
        {seen === null ? (
          'No heartbeat on record'
        ) : (
          <>
            Heartbeat{' '}
            <time dateTime={seen} title={formatLocal(seen)}>
              {formatAgo(seen, now)}
            </time>
          </>
        )}
        {worker.types.length > 0 && <> · {worker.types.join(', ')}</>}
      </span>
      {worker.running.length > 0 && (
        <ul className="worker-running">
          {worker.running.map((task) => (
            <li key={task.task_id}>
              <a
                href={`/tasks/${encodeURIComponent(task.task_id)}`}
                onClick={(event) => {
                  event.preventDefault();
                  onOpenTask(task.task_id);
                }}
                aria-label={`${task.type} task ${task.task_id}`}
              >
                <span className="task-type">{task.type}</span> <span className="mono">{shortId(task.task_id)}</span>
              </a>{' '}
              <span className="muted">
                in {task.queue}
                {task.started_at && `, for ${formatDuration(task.started_at, new Date(Math.max(now, Date.parse(task.started_at))).toISOString()) ?? ''}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

/** The workers, local and remote: what each runs (linked to its task), its last heartbeat, stale ones marked. */
export function WorkersPanel({
  workers,
  unavailable,
  now,
  onOpenTask,
}: {
  workers: WorkerInfo[] | undefined;
  /** The server cannot list its workers (an older server). */
  unavailable: boolean;
  now: number;
  onOpenTask: (id: string) => void;
}) {
  const running = workers?.reduce((sum, worker) => sum + worker.running.length, 0) ?? 0;
  return (
    <section className="card" aria-labelledby="workers-title">
      <header className="card-header">
        <h2 id="workers-title" className="card-title">
          Workers
        </h2>
        <span className="muted small">{workers ? `${workers.length} · ${running} running` : ''}</span>
      </header>
      {unavailable && <p className="muted small pad">This server does not list its workers.</p>}
      {!unavailable && !workers && <div className="skeleton-block" aria-label="Loading workers" />}
      {workers?.length === 0 && <p className="muted small pad">No workers: this node runs no tasks and no remote worker is live.</p>}
      {workers && workers.length > 0 && (
        <ul className="workers">
          {workers.map((worker) => (
            <Worker key={worker.id} worker={worker} now={now} onOpenTask={onOpenTask} />
          ))}
        </ul>
      )}
    </section>
  );
}
