import { useCallback, useEffect, useRef, useState } from 'react';
import { BulkActions } from '../components/BulkActions';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { EmptyState } from '../components/EmptyState';
import { FilterBar } from '../components/FilterBar';
import { Pager } from '../components/Pager';
import { StatusChips } from '../components/StatusChips';
import { TaskTable } from '../components/TaskTable';
import { useActions } from '../data/actions';
import { useCounts, useQueues, useTaskPage, useTypes } from '../data/queries';
import { STATUS_LABEL } from '../format';
import { navigate, type Route } from '../routing';
import type { TaskFilter } from '../services/types';
import { useNow } from './useNow';

/** Says in words which tasks a filter selects. */
export function describeFilter(filter: TaskFilter): string {
  const parts = [
    filter.status && `status ${STATUS_LABEL[filter.status]}`,
    filter.type && `type ${filter.type}`,
    filter.queue && `queue ${filter.queue}`,
    filter.q && `matching “${filter.q}”`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'every task';
}

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/** The status chips, filters, bulk actions, and the paged list of tasks. */
export function TaskBrowser({ route }: { route: Route }) {
  const { filter } = route;
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [filterKey, setFilterKey] = useState(JSON.stringify(filter));
  if (filterKey !== JSON.stringify(filter)) {
    // A new filter starts again from the newest page.
    setFilterKey(JSON.stringify(filter));
    setCursors([null]);
  }
  const cursor = cursors[cursors.length - 1] ?? null;
  const page = useTaskPage(filter, cursor);
  const counts = useCounts();
  const types = useTypes();
  const queues = useQueues();
  const actions = useActions();
  const now = useNow(5000);
  const search = useRef<HTMLInputElement>(null);
  const [confirm, setConfirm] = useState<'matching' | 'all' | null>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === '/' && !isTyping(event.target)) {
        event.preventDefault();
        search.current?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const setFilter = useCallback(
    (next: TaskFilter) => {
      const onlySearch = next.status === filter.status && next.type === filter.type && next.queue === filter.queue;
      navigate({ ...route, filter: next }, onlySearch);
    },
    [route, filter],
  );
  const open = (id: string) => navigate({ ...route, taskId: id });

  const filtered = Boolean(filter.status || filter.type || filter.queue || filter.q);
  const failed = counts.data?.by_status.FAILED ?? 0;
  const typeNames = [...new Set([...(types.data ?? []).map((t) => t.name), ...Object.keys(counts.data?.by_type ?? {})])].sort();
  const queueNames = [...new Set([...(queues.data ?? []).map((q) => q.name), ...Object.keys(counts.data?.by_queue ?? {})])].sort();
  const busy = actions.retryFailed.isPending || actions.removeMatching.isPending || actions.clear.isPending;

  const empty = filtered ? (
    <EmptyState
      title="No tasks match these filters"
      action={
        <button type="button" className="btn btn-small" onClick={() => setFilter({ status: null, type: null, queue: null, q: null })}>
          Clear filters
        </button>
      }
    >
      Showing {describeFilter(filter)}. Try another status, type or queue, or clear the filters.
    </EmptyState>
  ) : (
    <EmptyState title="No tasks yet">
      Enqueue one with the form, or from code with <code>POST /api/tasks</code>. Tasks appear here as they arrive.
    </EmptyState>
  );

  return (
    <>
      <div className="area-stats">
        <StatusChips counts={counts.data?.by_status} active={filter.status ?? null} onSelect={(status) => setFilter({ ...filter, status })} />
      </div>
      <section className="card area-tasks" aria-labelledby="tasks-title">
        <header className="card-header tasks-header">
          <h2 id="tasks-title" className="card-title">
            Tasks <span className="muted small">newest first</span>
          </h2>
          <BulkActions
            failed={failed}
            filtered={filtered}
            busy={busy}
            onRetryFailed={() => actions.retryFailed.mutate(filter)}
            onDeleteMatching={() => setConfirm('matching')}
            onClearAll={() => setConfirm('all')}
          />
        </header>
        <FilterBar filter={filter} types={typeNames} queues={queueNames} searchRef={search} onChange={setFilter} />
        <div className="table-wrap" aria-busy={page.isFetching}>
          <TaskTable tasks={page.data?.tasks} loading={page.isPending} selectedId={route.taskId} now={now} empty={empty} onOpen={open} />
        </div>
        {page.isError && !page.data && <p className="notice">Could not load tasks: {page.error.message}</p>}
        <Pager
          page={cursors.length}
          count={page.data?.tasks.length ?? 0}
          hasOlder={Boolean(page.data?.next_cursor)}
          fetching={page.isFetching && page.isPlaceholderData}
          onNewest={() => setCursors([null])}
          onNewer={() => setCursors((stack) => stack.slice(0, -1))}
          onOlder={() => {
            const next = page.data?.next_cursor;
            if (next) setCursors((stack) => [...stack, next]);
          }}
        />
      </section>
      {confirm === 'matching' && (
        <ConfirmDialog
          title="Delete matching tasks?"
          confirmLabel="Delete tasks"
          pending={actions.removeMatching.isPending}
          onCancel={() => setConfirm(null)}
          onConfirm={() => actions.removeMatching.mutate(filter, { onSettled: () => setConfirm(null) })}
        >
          <p>
            This deletes {describeFilter(filter)}, with their history, and cancels any that are running. It cannot be undone.
          </p>
        </ConfirmDialog>
      )}
      {confirm === 'all' && (
        <ConfirmDialog
          title="Clear every task?"
          confirmLabel="Clear everything"
          pending={actions.clear.isPending}
          onCancel={() => setConfirm(null)}
          onConfirm={() => actions.clear.mutate(undefined, { onSettled: () => setConfirm(null) })}
        >
          <p>This deletes all tasks in every queue, with their history, and cancels running ones. It cannot be undone.</p>
        </ConfirmDialog>
      )}
    </>
  );
}
