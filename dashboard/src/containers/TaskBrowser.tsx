import { useCallback, useEffect, useRef } from 'react';
import { EmptyState } from '../components/EmptyState';
import { FilterBar } from '../components/FilterBar';
import { Pager } from '../components/Pager';
import { StatusChips } from '../components/StatusChips';
import { TaskTable } from '../components/TaskTable';
import { useCounts, useQueues, useTaskPage, useTypes } from '../data/queries';
import { countScope } from '../data/scope';
import { useRowSelection } from '../data/selection';
import { navigate, withFilter, type Route } from '../routing';
import type { Task, TaskFilter } from '../services/types';
import { BulkControls } from './BulkControls';
import { describeFilter } from './describeFilter';
import { useNow } from './useNow';
import { useUnservedTypes } from '../data/serving';
import { UnservedNote } from '../components/UnservedNote';

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));
}

/** The status chips, filters, bulk actions, and the paged list of tasks. */
export function TaskBrowser({ route }: { route: Route }) {
  const { filter, cursor, trail } = route;
  const page = useTaskPage(filter, cursor);
  const counts = useCounts();
  const types = useTypes();
  const queues = useQueues();
  const unserved = useUnservedTypes();
  const now = useNow(5000);
  const search = useRef<HTMLInputElement>(null);
  const tasks = page.data?.tasks;
  const selection = useRowSelection(tasks?.map((task) => task.id) ?? [], JSON.stringify(filter));
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
      navigate(withFilter(route, next), onlySearch);
    },
    [route, filter],
  );
  const open = (id: string) => navigate({ ...route, taskId: id });
  const filtered = Boolean(filter.status || filter.type || filter.queue || filter.q);
  const typeNames = [...new Set([...(types.data ?? []).map((t) => t.name), ...Object.keys(counts.data?.by_type ?? {})])].sort();
  const queueNames = [...new Set([...(queues.data ?? []).map((q) => q.name), ...Object.keys(counts.data?.by_queue ?? {})])].sort();
  const note = (task: Task) => (task.status === 'QUEUED' && unserved.has(task.type) ? <UnservedNote type={task.type} compact /> : null);
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
  const pageNumber = cursor === null ? 1 : trail === null ? null : trail.length + 1;
  return (
    <>
      <div className="area-stats">
        <StatusChips scope={countScope(filter, counts.data)} active={filter.status ?? null} onSelect={(status) => setFilter({ ...filter, status })} />
      </div>
      <section className="card area-tasks" aria-labelledby="tasks-title">
        <header className="card-header tasks-header">
          <h2 id="tasks-title" className="card-title">
            Tasks <span className="muted small">newest first</span>
          </h2>
          <BulkControls filter={filter} counts={counts.data} selection={selection} />
        </header>
        <FilterBar filter={filter} types={typeNames} queues={queueNames} searchRef={search} onChange={setFilter} />
        <div className="table-wrap" aria-busy={page.isFetching}>
          <TaskTable tasks={tasks} loading={page.isPending} selectedId={route.taskId} now={now} empty={empty} selection={selection} note={note} onOpen={open} />
        </div>
        {page.isError && !page.data && <p className="notice">Could not load tasks: {page.error.message}</p>}
        <Pager
          page={pageNumber}
          count={tasks?.length ?? 0}
          hasOlder={Boolean(page.data?.next_cursor)}
          fetching={page.isFetching && page.isPlaceholderData}
          onNewest={() => navigate({ ...route, cursor: null, trail: [] })}
          onNewer={() => {
            const back = trail ?? [];
            navigate({ ...route, cursor: back.at(-1) ?? null, trail: back.slice(0, -1) });
          }}
          onOlder={() => {
            const next = page.data?.next_cursor;
            if (next) navigate({ ...route, cursor: next, trail: [...(trail ?? []), cursor] });
          }}
        />
      </section>
    </>
  );
}
