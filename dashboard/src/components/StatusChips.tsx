import { formatCount, STATUS_LABEL } from '../format';
import { STATUSES, type TaskStatus } from '../services/types';

/** Tasks per status as coloured chips; each one filters the list, "All" clears the filter. */
export function StatusChips({
  counts,
  active,
  onSelect,
}: {
  counts: Partial<Record<TaskStatus, number>> | undefined;
  active: TaskStatus | null;
  onSelect: (status: TaskStatus | null) => void;
}) {
  const total = STATUSES.reduce((sum, status) => sum + (counts?.[status] ?? 0), 0);
  const chip = (key: string, label: string, value: number, status: TaskStatus | null) => (
    <button
      key={key}
      type="button"
      className={`chip chip-${key}`}
      aria-pressed={active === status}
      onClick={() => onSelect(status)}
      data-testid={`chip-${key}`}
    >
      <span className="chip-label">
        <span className="chip-dot" aria-hidden="true" />
        {label}
      </span>
      <span className="chip-count">{counts ? formatCount(value) : '–'}</span>
    </button>
  );
  return (
    <nav className="chips" aria-label="Filter by status">
      {chip('all', 'All tasks', total, null)}
      {STATUSES.map((status) => chip(status.toLowerCase(), STATUS_LABEL[status], counts?.[status] ?? 0, status))}
    </nav>
  );
}
