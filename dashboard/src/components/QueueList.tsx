import type { QueueRow } from '../data/queries';
import { formatCount } from '../format';
import { describeConcurrency, describePerKey, isHeldBack, topKeys } from '../services/limits';

/** Lag past this reads as a warning: a queue an operator should look at. */
export const LAG_WARN_MS = 60_000;

/** A lag in words: "0.4 s", "12 s", "3 min", "2 h". */
export function formatLag(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

function Lag({ ms }: { ms: number | null | undefined }) {
  if (ms === undefined) return null;
  const late = ms !== null && ms >= LAG_WARN_MS;
  return (
    <span className={`queue-lag${late ? ' queue-lag-late' : ''}`} title="How long the oldest due task has waited" data-testid="queue-lag">
      {ms === null ? 'no lag' : `lag ${formatLag(ms)}`}
    </span>
  );
}

function Depth({ queue }: { queue: QueueRow }) {
  const lag = <Lag ms={queue.lag_ms} />;
  const inProgress = queue.counts.INPROGRESS ?? 0;
  const running = (
    <span title="Running now" data-testid="queue-running">
      {describeConcurrency(inProgress, queue.limits) ?? `${formatCount(inProgress)} running`}
    </span>
  );
  if (!queue.backlog) {
    return (
      <span className="queue-stats">
        {lag}
        <span title="Waiting">{formatCount(queue.counts.QUEUED ?? 0)} waiting</span>
        {running}
      </span>
    );
  }
  const { ready, scheduled, retrying } = queue.backlog;
  return (
    <span className="queue-stats">
      {lag}
      <span title="Due now, waiting for a worker">{formatCount(ready)} ready</span>
      {running}
      {scheduled > 0 && <span title="Waiting for their run_at">{formatCount(scheduled)} scheduled</span>}
      {retrying > 0 && <span title="Waiting to retry after a failed attempt">{formatCount(retrying)} retrying</span>}
    </span>
  );
}

/** A limited queue's per-key limit and busiest keys, so that "held back" can be told from "stuck". */
function Limits({ queue }: { queue: QueueRow }) {
  const perKey = describePerKey(queue.limits);
  const busiest = topKeys(queue.busiest_keys);
  const named = Object.keys(queue.limits?.key_limits ?? {}).length;
  const roundRobin = queue.limits?.fairness === 'round_robin';
  if (!perKey && busiest.length === 0 && named === 0 && !roundRobin) return null;
  return (
    <span className="queue-stats queue-limits" data-testid="queue-limits">
      {perKey && <span title="The most running tasks per concurrency key">{perKey}</span>}
      {named > 0 && <span title="Keys with a limit of their own">{named === 1 ? '1 key limit' : `${named} key limits`}</span>}
      {roundRobin && <span title="Keys take turns to start their tasks">round-robin</span>}
      {busiest.length > 0 && <span title="The keys with the most running tasks">busiest: {busiest.join(', ')}</span>}
    </span>
  );
}

/** Whether ready tasks wait only because the queue runs at its limit. */
function heldBack(queue: QueueRow): boolean {
  return isHeldBack(queue.counts.INPROGRESS ?? 0, queue.backlog?.ready ?? 0, queue.limits);
}

/** Every queue with its lag, its ready / scheduled / retrying depth, running tasks and limits; a queue can be paused, resumed, limited, or used as a filter. */
export function QueueList({
  queues,
  loading,
  active,
  pending,
  onSelect,
  onTogglePause,
  onEditLimits,
}: {
  queues: QueueRow[];
  loading: boolean;
  active: string | null;
  pending: string | null;
  onSelect: (name: string | null) => void;
  onTogglePause: (name: string, paused: boolean) => void;
  /** Opens the limits form of a queue; without it there is no Limits button. */
  onEditLimits?: (name: string) => void;
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
          <li key={queue.name} className={`queue${queue.paused ? ' queue-paused' : ''}`} data-queue={queue.name}>
            <button
              type="button"
              className="queue-name"
              aria-pressed={active === queue.name}
              onClick={() => onSelect(active === queue.name ? null : queue.name)}
              title={`Show only tasks in ${queue.name}`}
            >
              <span className="queue-title">
                <span className="queue-label">{queue.name}</span>
                {queue.paused && <span className="tag tag-paused">Paused</span>}
                {heldBack(queue) && (
                  <span className="tag tag-limited" title="Ready tasks wait because the queue runs as many as its limit allows">
                    At limit
                  </span>
                )}
              </span>
              <Depth queue={queue} />
              <Limits queue={queue} />
            </button>
            <span className="queue-actions">
              {onEditLimits && (
                <button type="button" className="btn btn-small" onClick={() => onEditLimits(queue.name)} aria-label={`Limits of queue ${queue.name}`}>
                  Limits
                </button>
              )}
              <button
                type="button"
                className="btn btn-small"
                disabled={pending === queue.name}
                onClick={() => onTogglePause(queue.name, !queue.paused)}
                aria-label={`${queue.paused ? 'Resume' : 'Pause'} queue ${queue.name}`}
              >
                {queue.paused ? '▶ Resume' : '❚❚ Pause'}
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
