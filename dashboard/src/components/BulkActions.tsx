/**
 * Actions on many tasks. With rows ticked they act on those rows; otherwise on
 * what the filters match, the retry button showing how many failed tasks that is.
 */
export function BulkActions(props: {
  selected: number;
  /** The failed tasks the filters match; null when the counts cannot tell. */
  failed: number | null;
  filtered: boolean;
  busy: boolean;
  onRetrySelected: () => void;
  onDeleteSelected: () => void;
  onClearSelection: () => void;
  onRetryFailed: () => void;
  onDeleteMatching: () => void;
}) {
  const count = (n: number) => n.toLocaleString('en-US');
  if (props.selected > 0) {
    return (
      <div className="bulk" role="group" aria-label="Bulk actions">
        <span className="bulk-count small">{count(props.selected)} selected</span>
        <button type="button" className="btn btn-small" onClick={props.onRetrySelected} disabled={props.busy}>
          ↻ Retry selected ({count(props.selected)})…
        </button>
        <button type="button" className="btn btn-small btn-danger-outline" onClick={props.onDeleteSelected} disabled={props.busy}>
          Delete selected ({count(props.selected)})…
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={props.onClearSelection}>
          Clear selection
        </button>
      </div>
    );
  }
  const label = props.filtered ? 'Retry matching failed' : 'Retry failed';
  return (
    <div className="bulk" role="group" aria-label="Bulk actions">
      <button type="button" className="btn btn-small" onClick={props.onRetryFailed} disabled={props.busy || props.failed === 0}>
        ↻ {label}
        {props.failed === null ? '' : ` (${count(props.failed)})`}…
      </button>
      <button type="button" className="btn btn-small btn-danger-outline" onClick={props.onDeleteMatching} disabled={props.busy}>
        {props.filtered ? 'Delete matching…' : 'Delete all…'}
      </button>
    </div>
  );
}
