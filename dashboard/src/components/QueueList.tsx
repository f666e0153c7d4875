import type { QueueRow } from '../data/queries';
import { formatCount } from '../format';

/** Every queue with its depth and running tasks; a queue can be paused, resumed, or used as a filter. */
export function QueueList({
  queues,
  loading,
  active,
  pending,
  onSelect,
  onTogglePause,
}: {
  queues: QueueRow[];
  loading: boolean;
  active: string | null;
  pending: string | null;
  onSelect: (name: string | null) => void;
  onTogglePause: (name: string, paused: boolean) => void;
}) {
  return (
    <section className="card" aria-labelledby="queues-title">
      <header className="card-header">
        <h2 id="queues-title" className="card-title">
          Queues
        </h2>
        <span className="muted small">{queues.length || ''}</span>
      </header>
      {loading && queues.length === 0 && <div className="skeleton-block" aria-label="Loading queues" />}
      {!loading && queues.length === 0 && (
        <p className="muted small pad">No queues yet: a queue appears when a task is enqueued into it.</p>
      )}
      <ul className="queues">
        {queues.map((queue) => (
          <li key={queue.name} className={`queue${queue.paused ? ' queue-paused' : ''}`}>
            <button
              type="button"
              className="queue-name"
              aria-pressed={active === queue.name}
              onClick={() => onSelect(active === queue.name ? null : queue.name)}
              title={`Show only tasks in ${queue.name}`}
            >
              <span className="queue-label">{queue.name}</span>
              <span className="queue-stats">
                <span title="Waiting">{formatCount(queue.counts.QUEUED ?? 0)} waiting</span>
                <span title="Running">{formatCount(queue.counts.INPROGRESS ?? 0)} running</span>
                {queue.paused && <span className="tag tag-paused">Paused</span>}
              </span>
            </button>
            <button
              type="button"
              className="btn btn-small"
              disabled={pending === queue.name}
              onClick={() => onTogglePause(queue.name, !queue.paused)}
              aria-label={`${queue.paused ? 'Resume' : 'Pause'} queue ${queue.name}`}
            >
              {queue.paused ? '▶ Resume' : '❚❚ Pause'}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
