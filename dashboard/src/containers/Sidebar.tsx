import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { EnqueueForm } from '../components/EnqueueForm';
import { FailuresPanel } from '../components/FailuresPanel';
import { LimitsDialog } from '../components/LimitsDialog';
import { QueueList } from '../components/QueueList';
import { UnservedNote } from '../components/UnservedNote';
import { WorkersPanel } from '../components/WorkersPanel';
import { useActions } from '../data/actions';
import { keys } from '../data/keys';
import { mergeQueues, useCounts, useQueues, useTypes, useWorkers } from '../data/queries';
import { useUnservedTypes } from '../data/serving';
import { navigate, withFilter, type Route } from '../routing';
import { ApiError } from '../services/http';
import { listTasks } from '../services/tasks';
import { CronSection } from './CronSection';
import { useNow } from './useNow';

/** Types whose queued tasks nothing will run, shown only when there are some. */
function Unserved() {
  const unserved = useUnservedTypes();
  if (unserved.size === 0) return null;
  return (
    <section className="card attention area-attention" aria-labelledby="unserved-title">
      <header className="card-header">
        <h2 id="unserved-title" className="card-title">
          No worker for these types
        </h2>
      </header>
      <ul className="unserved-list">
        {[...unserved].map(([type, queued]) => (
          <UnservedNote key={type} type={type} queued={queued} />
        ))}
      </ul>
    </section>
  );
}

/** What someone on call looks at first: stuck types, queues, failures and workers; then cron and the enqueue form. */
export function Sidebar({ route }: { route: Route }) {
  const types = useTypes();
  const queues = useQueues();
  const counts = useCounts();
  const workers = useWorkers();
  const recentFailures = useQuery({ queryKey: [...keys.pages, { status: 'FAILED' }, 'recent'], queryFn: () => listTasks({ status: 'FAILED' }, null, 5) });
  const actions = useActions();
  const now = useNow(1000);
  const rows = mergeQueues(queues.data, counts.data, now);
  const pausing = actions.pause.isPending ? actions.pause.variables.name : null;
  const [limiting, setLimiting] = useState<string | null>(null);
  const limited = rows.find((row) => row.name === limiting);
  const openTask = (taskId: string) => navigate({ ...route, taskId });
  const failedByType = Object.entries(counts.data?.by_type ?? {})
    .map(([type, byStatus]): [string, number] => [type, byStatus.FAILED ?? 0])
    .filter(([, failed]) => failed > 0)
    .sort((a, b) => b[1] - a[1]);
  return (
    <div className="sidebar">
      <Unserved />
      <div className="area-queues">
        <QueueList
          queues={rows}
          loading={queues.isPending}
          active={route.filter.queue ?? null}
          pending={pausing}
          onSelect={(queue) => navigate(withFilter(route, { ...route.filter, queue }))}
          onTogglePause={(name, paused) => actions.pause.mutate({ name, paused })}
          onEditLimits={setLimiting}
        />
        {limiting && (
          <LimitsDialog
            queue={limiting}
            limits={limited?.limits}
            pending={actions.limits.isPending}
            onSave={(limits) => actions.limits.mutateAsync({ name: limiting, limits })}
            onClose={() => setLimiting(null)}
          />
        )}
      </div>
      <div className="area-failures">
        <FailuresPanel
          byType={failedByType}
          recent={recentFailures.data?.tasks}
          now={now}
          onFilterType={(type) => navigate(withFilter({ ...route, taskId: null }, { status: 'FAILED', type, queue: null, q: null }))}
          onOpenTask={openTask}
        />
      </div>
      <div className="area-workers">
        <WorkersPanel workers={workers.data} unavailable={workers.error instanceof ApiError && workers.error.status === 404} now={now} onOpenTask={openTask} />
      </div>
      <div className="area-cron">
        <CronSection route={route} />
      </div>
      <div className="area-enqueue">
        <EnqueueForm
          types={types.data}
          queues={rows.map((row) => row.name)}
          pending={actions.enqueue.isPending}
          onSubmit={(request) => actions.enqueue.mutateAsync(request)}
          onOpenTask={openTask}
        />
      </div>
    </div>
  );
}
