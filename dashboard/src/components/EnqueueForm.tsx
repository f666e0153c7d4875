import { useId, useState, type SyntheticEvent } from 'react';
import { shortId } from './TaskTable';
import type { EnqueuedTask, JsonValue, NewTask, Task, TaskTypeInfo } from '../services/types';

/** The form's fields, as typed. */
export interface EnqueueValues {
  type: string;
  payload: string;
  asJson: boolean;
  queue: string;
  priority: string;
  maxRetries: string;
  delaySeconds: string;
  uniqueKey: string;
  timeoutMs: string;
  copies: string;
}

const EMPTY: EnqueueValues = {
  type: '',
  payload: '',
  asJson: false,
  queue: '',
  priority: '',
  maxRetries: '',
  delaySeconds: '',
  uniqueKey: '',
  timeoutMs: '',
  copies: '1',
};

/** The most copies one submit may enqueue (one batch). */
export const MAX_COPIES = 10_000;

function integer(text: string, name: string, min: number, max: number): number | undefined {
  if (text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}.`);
  return value;
}

/** Turns the fields into a task and a number of copies; throws with a message for people. */
export function toNewTask(values: EnqueueValues): { task: NewTask; copies: number } {
  if (!values.type) throw new Error('Choose a task type.');
  let payload: JsonValue = values.payload;
  if (values.asJson) {
    // An empty box is not `null`: a null payload is sent only when typed.
    if (values.payload.trim() === '') throw new Error('Type a JSON payload (null, if that is what you mean).');
    try {
      payload = JSON.parse(values.payload) as JsonValue;
    } catch {
      throw new Error('The payload is not valid JSON.');
    }
  }
  const copies = integer(values.copies, 'Copies', 1, MAX_COPIES) ?? 1;
  const uniqueKey = values.uniqueKey.trim() || undefined;
  if (copies > 1 && uniqueKey) throw new Error('A unique key and several copies exclude each other.');
  const delay = integer(values.delaySeconds, 'Delay', 0, 31_536_000);
  const optional = {
    queue: values.queue.trim() || undefined,
    priority: integer(values.priority, 'Priority', -2_147_483_648, 2_147_483_647),
    max_retries: integer(values.maxRetries, 'Max attempts', 1, 1000),
    delay_ms: delay ? delay * 1000 : undefined,
    unique_key: uniqueKey,
    timeout_ms: integer(values.timeoutMs, 'Timeout', 1, 86_400_000),
  };
  // Only the fields that were filled in: the server applies its defaults to the rest.
  const set = Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined));
  const task: NewTask = { type: values.type, payload, ...set };
  return { task, copies };
}

/** The task that already held the unique key of a refused enqueue. */
function Duplicate({ task, onOpenTask }: { task: Task; onOpenTask: (id: string) => void }) {
  return (
    <p className="form-notice" role="status">
      Not enqueued: a duplicate. Task{' '}
      <a
        href={`/tasks/${encodeURIComponent(task.id)}`}
        onClick={(event) => {
          event.preventDefault();
          onOpenTask(task.id);
        }}
      >
        <span className="mono">{shortId(task.id)}</span>
      </a>{' '}
      ({task.status.toLowerCase()}) already holds unique key “{task.unique_key}”.
    </p>
  );
}

/**
 * Enqueue a task: type from the server's list, payload as text or JSON, and every
 * optional field. After a submit every field keeps its value, so "Enqueue" again
 * sends the same task, never a half-reset one.
 */
export function EnqueueForm({
  types,
  queues,
  pending,
  onSubmit,
  onOpenTask,
}: {
  types: TaskTypeInfo[] | undefined;
  queues: string[];
  pending: boolean;
  onSubmit: (request: { task: NewTask; copies: number }) => Promise<EnqueuedTask[]>;
  onOpenTask: (id: string) => void;
}) {
  const [values, setValues] = useState<EnqueueValues>(EMPTY);
  const [error, setError] = useState<string | null>(null);
  const [duplicateOf, setDuplicateOf] = useState<Task | null>(null);
  const id = useId();
  const set = <K extends keyof EnqueueValues>(key: K, value: EnqueueValues[K]) => {
    setValues((previous) => ({ ...previous, [key]: value }));
    setError(null);
    setDuplicateOf(null);
  };
  const description = types?.find((t) => t.name === values.type)?.description;

  const submit = (event: SyntheticEvent) => {
    event.preventDefault();
    let request;
    try {
      request = toNewTask(values);
    } catch (problem) {
      setError(problem instanceof Error ? problem.message : String(problem));
      return;
    }
    setDuplicateOf(null);
    onSubmit(request).then(
      (answers) => setDuplicateOf(answers.find((answer) => answer.duplicate)?.task ?? null),
      () => undefined,
    );
  };

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <header className="card-header">
        <h2 id={`${id}-title`} className="card-title">
          Enqueue a task
        </h2>
      </header>
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label className="field-label" htmlFor={`${id}-type`}>
            Type
          </label>
          <select
            id={`${id}-type`}
            value={values.type}
            onChange={(e) => set('type', e.target.value)}
            required
            disabled={!types}
            aria-describedby={`${id}-type-help`}
          >
            <option value="">{types ? 'Choose a type…' : 'Loading types…'}</option>
            {types?.map((type) => (
              <option key={type.name} value={type.name}>
                {type.name}
              </option>
            ))}
          </select>
          <span id={`${id}-type-help`} className="field-help">
            {description ?? 'The handler that runs the task.'}
          </span>
        </div>
        <div className="field">
          {/* Labelled by id, not by wrapping: a wrapping label would add the text typed to the field's name. */}
          <label className="field-label" htmlFor={`${id}-payload`}>
            Payload
          </label>
          <textarea
            id={`${id}-payload`}
            rows={3}
            value={values.payload}
            onChange={(e) => set('payload', e.target.value)}
            placeholder={values.asJson ? '{"to": "ada@example.com"}' : 'hello@example.com'}
            spellCheck={false}
          />
        </div>
        <label className="check">
          <input type="checkbox" checked={values.asJson} onChange={(e) => set('asJson', e.target.checked)} />
          Send the payload as JSON
        </label>
        <details className="advanced">
          <summary>More options</summary>
          <div className="form-grid">
            <label className="field">
              <span className="field-label">Queue</span>
              <input value={values.queue} onChange={(e) => set('queue', e.target.value)} placeholder="default" list={`${id}-queues`} />
              <datalist id={`${id}-queues`}>
                {queues.map((queue) => (
                  <option key={queue} value={queue} />
                ))}
              </datalist>
            </label>
            <label className="field">
              <span className="field-label">Priority</span>
              <input inputMode="numeric" value={values.priority} onChange={(e) => set('priority', e.target.value)} placeholder="0" />
            </label>
            <label className="field">
              <span className="field-label">Max attempts</span>
              <input inputMode="numeric" value={values.maxRetries} onChange={(e) => set('maxRetries', e.target.value)} placeholder="3" />
            </label>
            <label className="field">
              <span className="field-label">Delay (s)</span>
              <input inputMode="numeric" value={values.delaySeconds} onChange={(e) => set('delaySeconds', e.target.value)} placeholder="0" />
            </label>
            <label className="field">
              <span className="field-label">Timeout (ms)</span>
              <input inputMode="numeric" value={values.timeoutMs} onChange={(e) => set('timeoutMs', e.target.value)} placeholder="server default" />
            </label>
            <label className="field">
              <span className="field-label">Copies</span>
              <input inputMode="numeric" value={values.copies} onChange={(e) => set('copies', e.target.value)} />
            </label>
            <label className="field field-wide">
              <span className="field-label">Unique key</span>
              <input value={values.uniqueKey} onChange={(e) => set('uniqueKey', e.target.value)} placeholder="none" />
            </label>
          </div>
        </details>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {duplicateOf && <Duplicate task={duplicateOf} onOpenTask={onOpenTask} />}
        <button type="submit" className="btn btn-primary btn-block" disabled={pending || !types}>
          {pending ? 'Enqueueing…' : 'Enqueue'}
        </button>
      </form>
    </section>
  );
}
