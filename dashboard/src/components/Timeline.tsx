import { formatLocal } from '../format';
import type { EventKind, TaskEvent } from '../services/types';

const LABEL: Record<EventKind, string> = {
  enqueued: 'Enqueued',
  started: 'Started',
  completed: 'Completed',
  failed: 'Failed',
  retry_scheduled: 'Attempt failed, retry scheduled',
  lease_expired: 'Lease expired',
  retried_by_user: 'Retried by a user',
  cancelled: 'Cancelled',
  released: 'Handed back at shutdown',
};

const TONE: Partial<Record<EventKind, string>> = {
  completed: 'good',
  failed: 'bad',
  retry_scheduled: 'warn',
  lease_expired: 'warn',
  cancelled: 'bad',
  started: 'busy',
};

/** A task's history, oldest first, each step with its local time, attempt and message. */
export function Timeline({ events }: { events: TaskEvent[] }) {
  if (events.length === 0) return <p className="muted small">No history recorded.</p>;
  return (
    <ol className="timeline">
      {events.map((event, index) => (
        <li key={`${event.at}-${index}`} className={`timeline-item tone-${TONE[event.kind] ?? 'plain'}`} data-kind={event.kind}>
          <span className="timeline-dot" aria-hidden="true" />
          <div className="timeline-body">
            <p className="timeline-title">
              {LABEL[event.kind]}
              {event.attempt > 0 && <span className="muted"> · attempt {event.attempt}</span>}
            </p>
            <time className="timeline-time" dateTime={event.at}>
              {formatLocal(event.at)}
            </time>
            {event.message && <p className="timeline-message mono">{event.message}</p>}
          </div>
        </li>
      ))}
    </ol>
  );
}
