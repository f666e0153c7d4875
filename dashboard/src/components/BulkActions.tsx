/** Actions on many tasks: retry the failed ones, delete what the filters match, clear everything. */
export function BulkActions(props: {
  failed: number;
  filtered: boolean;
  busy: boolean;
  onRetryFailed: () => void;
  onDeleteMatching: () => void;
  onClearAll: () => void;
}) {
  return (
    <div className="bulk" role="group" aria-label="Bulk actions">
      <button type="button" className="btn btn-small" onClick={props.onRetryFailed} disabled={props.busy || props.failed === 0}>
        ↻ Retry failed{props.failed > 0 ? ` (${props.failed.toLocaleString('en-US')})` : ''}
      </button>
      <button type="button" className="btn btn-small btn-danger-outline" onClick={props.onDeleteMatching} disabled={props.busy || !props.filtered}>
        Delete matching…
      </button>
      <button type="button" className="btn btn-small btn-danger-outline" onClick={props.onClearAll} disabled={props.busy}>
        Clear all…
      </button>
    </div>
  );
}
