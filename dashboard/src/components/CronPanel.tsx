import { formatLocal, formatRelative, jsonText } from '../format';
import type { CronEntry } from '../services/types';

/** When a run was or will be: relative, with the local time on hover. */
function When({ iso, now, none }: { iso: string | null | undefined; now: number; none: string }) {
  if (!iso) return <span className="muted">{none}</span>;
  return (
    <time dateTime={iso} title={formatLocal(iso)}>
      {formatRelative(iso, now)}
    </time>
  );
}

/** The cron entries with their schedules, last and next runs; each can be enabled or disabled. */
export function CronPanel({
  entries,
  loading,
  now,
  pending,
  onToggle,
}: {
  entries: CronEntry[];
  loading: boolean;
  now: number;
  pending: string | null;
  onToggle: (name: string, enabled: boolean) => void;
}) {
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
          <li key={entry.name} className={`cron-entry${entry.enabled ? '' : ' cron-disabled'}`}>
            <div className="cron-main">
              <span className="cron-name">{entry.name}</span>
              <span className="cron-schedule" title={`Payload: ${jsonText(entry.payload, 0)}`}>
                <code>{entry.schedule}</code> {entry.timezone} · {entry.type} → {entry.queue}
              </span>
              <span className="cron-runs small">
                <span>
                  Last: <When iso={entry.last_run} now={now} none="never" />
                </span>
                <span>
                  Next: <When iso={entry.next_run} now={now} none={entry.enabled ? 'none' : 'disabled'} />
                </span>
                {entry.backfill && <span className="tag">Backfill</span>}
                {!entry.enabled && <span className="tag tag-paused">Disabled</span>}
              </span>
            </div>
            <button
              type="button"
              className="btn btn-small"
              disabled={pending === entry.name}
              onClick={() => onToggle(entry.name, !entry.enabled)}
              aria-label={`${entry.enabled ? 'Disable' : 'Enable'} cron entry ${entry.name}`}
            >
              {entry.enabled ? 'Disable' : 'Enable'}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
