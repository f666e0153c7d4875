import type { CountScope } from '../data/scope';
import { formatCount, STATUS_LABEL } from '../format';
import { STATUSES, type TaskStatus } from '../services/types';

/**
 * Tasks per status as coloured chips, counted within the filter's queue or type
 * (the caption says which); each chip filters the list, "All" clears the status.
 */
export function StatusChips({
  scope,
  active,
  onSelect,
}: {
  scope: CountScope;
  active: TaskStatus | null;
  onSelect: (status: TaskStatus | null) => void;
}) {
  const { counts } = scope;
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
  const caption = scope.exact
    ? scope.label === 'every task'
      ? null
      : `Counts for ${scope.label}`
    : 'Counts for every task: the counts do not follow a search or a type and queue together';
  return (
    <div className="chips-wrap">
      <nav className="chips" aria-label="Filter by status" aria-describedby={caption ? 'chips-scope' : undefined}>
        {chip('all', scope.label === 'every task' ? 'All tasks' : 'All', total, null)}
        {STATUSES.map((status) => chip(status.toLowerCase(), STATUS_LABEL[status], counts?.[status] ?? 0, status))}
      </nav>
      {caption && (
        <p id="chips-scope" className={`chips-scope small${scope.exact ? '' : ' chips-scope-wide'}`} data-testid="chips-scope">
          {caption}
        </p>
      )}
    </div>
  );
}
