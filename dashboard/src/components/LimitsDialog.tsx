import { useId, useState, type ReactNode, type SyntheticEvent } from 'react';
import { formatKeyLimits, toQueueLimits } from '../services/limits';
import type { QueueLimits } from '../services/types';
import { Modal } from './Modal';

/** A labelled field whose help text describes its input without being part of its name. */
function Field({ id, label, help, children }: { id: string; label: string; help: string; children: (input: { id: string; 'aria-describedby': string }) => ReactNode }) {
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      {children({ id, 'aria-describedby': `${id}-help` })}
      <span id={`${id}-help`} className="field-help">
        {help}
      </span>
    </div>
  );
}

/**
 * The limits form of one queue: how many of its tasks run at once, how many
 * per concurrency key, and named keys with limits of their own. Blank fields
 * limit nothing; the server's refusal shows here, next to the fields.
 */
export function LimitsDialog({
  queue,
  limits,
  pending,
  onSave,
  onClose,
}: {
  queue: string;
  limits: QueueLimits | undefined;
  pending: boolean;
  onSave: (limits: QueueLimits) => Promise<unknown>;
  onClose: () => void;
}) {
  const id = useId();
  const [fields, setFields] = useState({
    concurrency: limits?.concurrency?.toString() ?? '',
    perKey: limits?.per_key_limit?.toString() ?? '',
    keyLimits: formatKeyLimits(limits?.key_limits),
    roundRobin: limits?.fairness === 'round_robin',
  });
  const [error, setError] = useState<string | null>(null);
  const set = <K extends keyof typeof fields>(key: K, value: (typeof fields)[K]) => {
    setFields((previous) => ({ ...previous, [key]: value }));
    setError(null);
  };
  const save = (next: QueueLimits) => {
    onSave(next).then(onClose, (problem: unknown) => setError(problem instanceof Error ? problem.message : String(problem)));
  };
  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    const next = toQueueLimits(fields);
    if ('error' in next) setError(next.error);
    else save(next);
  };

  return (
    <Modal title={`Limits of queue ${queue}`} onClose={onClose}>
      <form className="modal-body form-limits" onSubmit={submit} aria-describedby={`${id}-help`}>
        <p id={`${id}-help`} className="field-help">
          Limits hold on every node and remote worker together. A task over a limit stays queued and starts as soon as one of its kind finishes; blank means no limit.
        </p>
        <Field id={`${id}-concurrency`} label="Concurrency" help="The most tasks of the queue running at once.">
          {(input) => <input {...input} inputMode="numeric" value={fields.concurrency} onChange={(e) => set('concurrency', e.target.value)} placeholder="no limit" data-autofocus />}
        </Field>
        <Field id={`${id}-per-key`} label="Per key" help="The most running tasks with the same concurrency key.">
          {(input) => <input {...input} inputMode="numeric" value={fields.perKey} onChange={(e) => set('perKey', e.target.value)} placeholder="no limit" />}
        </Field>
        <Field id={`${id}-keys`} label="Named keys" help="One key=limit per line, instead of the per-key limit.">
          {(input) => <textarea {...input} rows={3} value={fields.keyLimits} onChange={(e) => set('keyLimits', e.target.value)} placeholder="gold=10" />}
        </Field>
        <label className="field-check">
          <input type="checkbox" checked={fields.roundRobin} onChange={(e) => set('roundRobin', e.target.checked)} />
          <span>
            <span className="field-label">Keys take turns</span>
            <span className="field-help"> Round-robin: ready tasks of keys A, A, B start as A, B, A (priority still first).</span>
          </span>
        </label>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="modal-actions">
          <button type="button" className="btn" onClick={() => save({})} disabled={pending}>
            Remove limits
          </button>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? 'Saving…' : 'Save limits'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
