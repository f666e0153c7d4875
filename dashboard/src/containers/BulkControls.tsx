import { useState } from 'react';
import { BulkActions } from '../components/BulkActions';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useActions } from '../data/actions';
import { failedInScope } from '../data/scope';
import type { RowSelection } from '../data/selection';
import { filterParams, matching, type Selection } from '../services/tasks';
import type { TaskCounts, TaskFilter } from '../services/types';
import { describeFilter } from './describeFilter';

type Asking = { action: 'retry' | 'delete'; target: 'selected' | 'matching' };

function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/** The bulk action buttons and the confirmation each one asks before it acts. */
export function BulkControls({ filter, counts, selection }: { filter: TaskFilter; counts: TaskCounts | undefined; selection: RowSelection }) {
  const actions = useActions();
  const [asking, setAsking] = useState<Asking | null>(null);
  const filtered = Object.keys(filterParams(filter)).length > 0;
  const failed = failedInScope(filter, counts);
  const selected = selection.selected.size;
  const busy = actions.retryMany.isPending || actions.removeMany.isPending;
  const target = (which: Asking['target'], retry: boolean): Selection =>
    which === 'selected' ? { ids: [...selection.selected] } : matching(retry ? { ...filter, status: 'FAILED' } : filter);
  const act = () => {
    if (!asking) return;
    const mutation = asking.action === 'retry' ? actions.retryMany : actions.removeMany;
    mutation.mutate(target(asking.target, asking.action === 'retry'), {
      onSuccess: () => {
        if (asking.target === 'selected') selection.clear();
      },
      onSettled: () => setAsking(null),
    });
  };
  const ask = (action: Asking['action'], which: Asking['target']) => () => setAsking({ action, target: which });
  return (
    <>
      <BulkActions
        selected={selected}
        failed={failed}
        filtered={filtered}
        busy={busy}
        onRetrySelected={ask('retry', 'selected')}
        onDeleteSelected={ask('delete', 'selected')}
        onClearSelection={selection.clear}
        onRetryFailed={ask('retry', 'matching')}
        onDeleteMatching={ask('delete', 'matching')}
      />
      {asking && (
        <ConfirmDialog
          title={confirmTitle(asking, selected, failed, filtered)}
          confirmLabel={asking.action === 'retry' ? 'Retry tasks' : 'Delete tasks'}
          danger={asking.action === 'delete'}
          pending={busy}
          onCancel={() => setAsking(null)}
          onConfirm={act}
        >
          <p>{confirmText(asking, selected, filter, filtered)}</p>
        </ConfirmDialog>
      )}
    </>
  );
}

function confirmTitle(asking: Asking, selected: number, failed: number | null, filtered: boolean): string {
  if (asking.target === 'selected') return `${asking.action === 'retry' ? 'Retry' : 'Delete'} ${plural(selected, 'selected task')}?`;
  if (asking.action === 'retry') return failed === null ? 'Retry the matching failed tasks?' : `Retry ${plural(failed, 'failed task')}?`;
  return filtered ? 'Delete matching tasks?' : 'Delete every task?';
}

function confirmText(asking: Asking, selected: number, filter: TaskFilter, filtered: boolean): string {
  if (asking.action === 'retry') {
    const which = asking.target === 'selected' ? `the failed ones among the ${plural(selected, 'selected task')}` : `every failed task of ${describeFilter(filter)}`;
    return `This queues again ${which}, with a new attempt budget; other tasks are left as they are.`;
  }
  const which = asking.target === 'selected' ? `the ${plural(selected, 'selected task')}` : filtered ? describeFilter(filter) : 'every task in every queue';
  return `This deletes ${which}, with their history, and cancels any that are running. It cannot be undone.`;
}
