import { useEffect, useRef, type ReactNode } from 'react';
import { formatDuration, formatLocal, jsonText } from '../format';
import type { Task, TaskEvent } from '../services/types';
import { StatusBadge } from './StatusBadge';
import { Timeline } from './Timeline';

function Field({ label, children, wide }: { label: string; children: ReactNode; wide?: boolean }) {
  return (
    <div className={wide ? 'detail-field wide' : 'detail-field'}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function TimeValue({ iso }: { iso: string | null | undefined }) {
  return iso ? <time dateTime={iso}>{formatLocal(iso)}</time> : <span className="muted">—</span>;
}

/** Every field of a task, with local times. */
function Fields({ task }: { task: Task }) {
  return (
    <dl className="detail-grid">
      <Field label="ID" wide>
        <span className="mono selectable">{task.id}</span>
      </Field>
      <Field label="Type">{task.type}</Field>
      <Field label="Queue">{task.queue}</Field>
      <Field label="Attempts">{task.attempts}</Field>
      <Field label="Max attempts (max_retries)">{task.max_retries}</Field>
      <Field label="Priority">{task.priority}</Field>
      <Field label="Timeout">{task.timeout_ms == null ? 'server default' : `${task.timeout_ms.toLocaleString('en-US')} ms`}</Field>
      <Field label="Created" wide>
        <TimeValue iso={task.created_at} />
      </Field>
      <Field label="Run at" wide>
        <TimeValue iso={task.run_at} />
      </Field>
      <Field label="Started" wide>
        <TimeValue iso={task.started_at} />
      </Field>
      <Field label="Finished" wide>
        <TimeValue iso={task.finished_at} />
        {formatDuration(task.started_at, task.finished_at) && (
          <span className="muted"> ({formatDuration(task.started_at, task.finished_at)} last attempt)</span>
        )}
      </Field>
      <Field label="Updated" wide>
        <TimeValue iso={task.updated_at} />
      </Field>
      <Field label="Unique key" wide>
        {task.unique_key ? <span className="mono">{task.unique_key}</span> : <span className="muted">none</span>}
      </Field>
      {task.worker && (
        <Field label="Worker (lease holder)" wide>
          <span className="mono">{task.worker}</span>
        </Field>
      )}
    </dl>
  );
}

/** The task panel: status, actions, last error, payload, result, every field and the history. */
export function TaskDetail(props: {
  id: string;
  task: Task | undefined;
  history: TaskEvent[] | undefined;
  loading: boolean;
  missing: boolean;
  busy: boolean;
  onRetry: () => void;
  onDelete: () => void;
  onClose: () => void;
}) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    close.current?.focus();
  }, [props.id]);
  const { task } = props;
  return (
    <aside className="detail" aria-labelledby="detail-title">
      <header className="detail-header">
        <div>
          <h2 id="detail-title" className="detail-title">
            {task ? `${task.type} task` : 'Task'}
          </h2>
          <p className="mono muted small">{props.id}</p>
        </div>
        <button type="button" className="icon-btn" onClick={props.onClose} ref={close} aria-label="Close task panel (Escape)">
          ×
        </button>
      </header>
      {props.missing && (
        <div className="detail-body">
          <p className="notice">This task no longer exists: it was deleted or cleared.</p>
        </div>
      )}
      {!props.missing && !task && props.loading && <div className="detail-body skeleton-block" aria-label="Loading task" role="status" />}
      {task && (
        <div className="detail-body">
          <div className="detail-status">
            <StatusBadge status={task.status} />
            <div className="detail-actions">
              <button type="button" className="btn btn-small" onClick={props.onRetry} disabled={props.busy || task.status !== 'FAILED'}>
                ↻ Retry
              </button>
              <button type="button" className="btn btn-small btn-danger-outline" onClick={props.onDelete} disabled={props.busy}>
                Delete…
              </button>
            </div>
          </div>
          {task.last_error && (
            <section className="detail-section" aria-label="Last error">
              <h3 className="section-title">Last error</h3>
              <pre className="error-box">{task.last_error}</pre>
            </section>
          )}
          <section className="detail-section">
            <h3 className="section-title">Payload</h3>
            <pre className="code-box" data-testid="payload">
              {jsonText(task.payload)}
            </pre>
          </section>
          {task.result != null && (
            <section className="detail-section">
              <h3 className="section-title">Result</h3>
              <pre className="code-box">{jsonText(task.result)}</pre>
            </section>
          )}
          <section className="detail-section" aria-labelledby="detail-fields">
            <h3 className="section-title" id="detail-fields">
              Details
            </h3>
            <Fields task={task} />
          </section>
          <section className="detail-section">
            <h3 className="section-title">History</h3>
            {props.history ? <Timeline events={props.history} /> : <div className="skeleton-block" />}
          </section>
        </div>
      )}
    </aside>
  );
}
