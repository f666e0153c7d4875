import { useQuery } from '@tanstack/react-query';
import { keys } from '../data/keys';
import { requestText } from '../services/http';
import { Modal } from './Modal';

/**
 * This node's Prometheus metrics, fetched with the tab's token (a plain link
 * cannot send one, so behind `--api-token` it could only get a 401).
 */
export function MetricsDialog({ onClose }: { onClose: () => void }) {
  const metrics = useQuery({ queryKey: keys.metrics, queryFn: () => requestText('/metrics'), staleTime: 0, meta: { quiet: true } });
  return (
    <Modal title="Metrics of this node" onClose={onClose}>
      <div className="modal-body metrics-body">
        <p className="muted small">
          The Prometheus text format, as a scraper reads it from <code>/metrics</code> (with the API token, when the server has one).
        </p>
        {metrics.isPending && <div className="skeleton-block" aria-label="Loading metrics" />}
        {metrics.isError && <p className="form-error">Could not load the metrics: {metrics.error.message}</p>}
        {metrics.data !== undefined && (
          <pre className="metrics-text mono" data-testid="metrics-text" tabIndex={0}>
            {metrics.data}
          </pre>
        )}
      </div>
      <div className="modal-actions">
        <button type="button" className="btn" onClick={() => void metrics.refetch()} disabled={metrics.isFetching}>
          Refresh
        </button>
        <button type="button" className="btn btn-primary" onClick={onClose} data-autofocus>
          Close
        </button>
      </div>
    </Modal>
  );
}
