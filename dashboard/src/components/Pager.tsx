/** Newer and older pages of the list (keyset pages: each one costs the same at any depth). */
export function Pager(props: {
  /** The page number; null when unknown (an older page opened from a link). */
  page: number | null;
  count: number;
  hasOlder: boolean;
  fetching: boolean;
  onNewest: () => void;
  onNewer: () => void;
  onOlder: () => void;
}) {
  const newer = props.page !== 1;
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted small" aria-live="polite">
        {props.page === null ? 'Older page' : `Page ${props.page}`} · {props.count} shown{props.fetching ? ' · updating…' : ''}
      </span>
      <div className="pager-buttons">
        <button type="button" className="btn btn-small" onClick={props.onNewest} disabled={!newer}>
          « Newest
        </button>
        <button type="button" className="btn btn-small" onClick={props.onNewer} disabled={!newer}>
          ‹ Newer
        </button>
        <button type="button" className="btn btn-small" onClick={props.onOlder} disabled={!props.hasOlder}>
          Older ›
        </button>
      </div>
    </nav>
  );
}
