import { useState } from 'react';
import { MetricsDialog } from '../components/MetricsDialog';
import type { LiveState } from '../data/live';
import { API_BASE } from '../services/http';

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  unauthorized: 'Token needed',
};

/** The top bar: the name, whether live updates flow, and links out. */
export function Header({ live, hasToken, onForgetToken }: { live: LiveState; hasToken: boolean; onForgetToken: () => void }) {
  const [metrics, setMetrics] = useState(false);
  return (
    <header className="topbar">
      <a className="brand" href="/" aria-label="RustQueue home">
        <span className="brand-mark" aria-hidden="true">
          <svg viewBox="0 0 24 24">
            <rect x="3" y="4" width="18" height="4" rx="1.5" />
            <rect x="3" y="10" width="13" height="4" rx="1.5" />
            <rect x="3" y="16" width="8" height="4" rx="1.5" />
          </svg>
        </span>
        <span className="brand-name">RustQueue</span>
      </a>
      <div className="topbar-right">
        <span className={`live live-${live}`} role="status" title="Updates arrive from the server's event stream">
          <span className="live-dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </span>
        {hasToken && (
          <button type="button" className="btn btn-ghost btn-small" onClick={onForgetToken}>
            Forget token
          </button>
        )}
        <button type="button" className="btn btn-ghost btn-small topbar-wide" onClick={() => setMetrics(true)} title="Prometheus metrics of this node">
          Metrics
        </button>
        <a className="btn btn-ghost btn-small" href={`${API_BASE}/docs/`} target="_blank" rel="noreferrer">
          API docs ↗
        </a>
      </div>
      {metrics && <MetricsDialog onClose={() => setMetrics(false)} />}
    </header>
  );
}
