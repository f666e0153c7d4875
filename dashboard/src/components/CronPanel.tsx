import { formatAgo, formatLocal, formatRelative, jsonText } from '../format';
import type { CronEntry } from '../services/types';
import { shortId } from './TaskTable';

/** When a run was or will be: relative, with the local time on hover. */
function When({ iso, now, none, past }: { iso: string | null | undefined; now: number; none: string; past: boolean }) {
  if (!iso) return <span className="muted">{none}</span>;
  return (
    <time dateTime={iso} title={formatLocal(iso)}>
      {past ? formatAgo(iso, now) : formatRelative(iso, now)}
    </time>
  );
}

/** What a cron row can do: run its task now, enable or disable it, open the task it last enqueued. */
export interface CronHandlers {
  onToggle: (name: string, enabled: boolean) => void;
  onRunNow: (name: string) => void;
  onOpenTask: (id: string) => void;
}

function Entry({ entry, now, busy, handlers }: { entry: CronEntry; now: number; busy: boolean; handlers: CronHandlers }) {
  const last = entry.last_task_id;
  return (
    <li className={`cron-entry${entry.enabled ? '' : ' cron-disabled'}`}>
      <div className="cron-head">
        <span className="cron-name">{entry.name}</span>
        {entry.backfill && <span className="tag">Backfill</span>}
        {!entry.enabled && <span className="tag tag-paused">Disabled</span>}
      </div>
      <span className="cron-schedule" title={`Payload: ${jsonText(entry.payload, 0)}`}>
        <code>{entry.schedule}</code> {entry.timezone} · {entry.type} → {entry.queue}
      </span>
      <span className="cron-runs small">
        <span>
          Last: <When iso={entry.last_run} now={now} none="never" past />
          {last && (
            <>
              {' '}
              ·{' '}
              <a
                href={`/tasks/${encodeURIComponent(last)}`}
                onClick={(event) => {
                  event.preventDefault();
                  handlers.onOpenTask(last);
                }}
                aria-label={`Last task of ${entry.name}: ${last}`}
              >
                task <span className="mono">{shortId(last)}</span>
              </a>
            </>
          )}
        </span>
        <span>
          Next: <When iso={entry.next_run} now={now} none={entry.enabled ? 'none' : 'disabled'} past={false} />
        </span>
      </span>
      <div className="cron-actions">
        <button type="button" className="btn btn-small" disabled={busy} onClick={() => handlers.onRunNow(entry.name)} aria-label={`Run cron entry ${entry.name} now`}>
          ▶ Run now
        </button>
        <button
          type="button"
          className="btn btn-small btn-ghost"
          disabled={busy}
          onClick={() => handlers.onToggle(entry.name, !entry.enabled)}
          aria-label={`${entry.enabled ? 'Disable' : 'Enable'} cron entry ${entry.name}`}
        >
          {entry.enabled ? 'Disable' : 'Enable'}
        </button>
      </div>
    </li>
  );
}

/** The cron entries with their schedules, last and next runs, and their actions. */
export function CronPanel({
  entries,
  loading,
  now,
  pending,
  ...handlers
}: {
  entries: CronEntry[];
  loading: boolean;
  now: number;
  /** The entry an action is running on. */
  pending: string | null;
} & CronHandlers) {
  return (
    <section className="card" aria-labelledby="cron-title">
      <header className="card-header">
        <h2 id="cron-title" className="card-title">
          Cron
        </h2>
        <span className="muted small">{entries.length || ''}</span>
      </header>
      {loading && entries.length === 0 && <div className="skeleton-block" aria-label="Loading cron entries" />}
      {!loading && entries.length === 0 && (
        <p className="muted small pad">
          No recurring tasks: declare them with <code>--cron</code> or <code>--cron-file</code>.
        </p>
      )}
      <ul className="cron-entries">
        {entries.map((entry) => (
          <Entry key={entry.name} entry={entry} now={now} busy={pending === entry.name} handlers={handlers} />
        ))}
      </ul>
    </section>
  );
}
