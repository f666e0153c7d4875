import { formatKeep } from '../format';
import type { RetentionInfo } from '../services/types';

/** How long finished tasks stay before the server deletes them, with their history. */
export function RetentionNote({ retention }: { retention: RetentionInfo | undefined }) {
  if (!retention) return null;
  const completed = retention.completed_secs ?? null;
  const failed = retention.failed_secs ?? null;
  const part = (status: string, seconds: number | null) =>
    seconds === null ? `${status} kept forever` : `${status} after ${formatKeep(seconds)}`;
  const text =
    completed === null && failed === null
      ? 'Finished tasks are kept forever (retention is off).'
      : `Finished tasks are deleted with their history: ${part('completed', completed)}, ${part('failed', failed)}.`;
  return (
    <p className="retention-note muted small" title="Set with --completed-retention-secs and --failed-retention-secs (0 keeps them forever)">
      {text}
    </p>
  );
}
