import { EnqueueForm } from '../components/EnqueueForm';
import { QueueList } from '../components/QueueList';
import { useActions } from '../data/actions';
import { mergeQueues, useCounts, useQueues, useTypes } from '../data/queries';
import { navigate, withFilter, type Route } from '../routing';
import { CronSection } from './CronSection';

/** The enqueue form, the queues and the cron entries, with their actions. */
export function Sidebar({ route }: { route: Route }) {
  const types = useTypes();
  const queues = useQueues();
  const counts = useCounts();
  const actions = useActions();
  const rows = mergeQueues(queues.data, counts.data);
  const pausing = actions.pause.isPending ? actions.pause.variables.name : null;
  return (
    <div className="sidebar">
      <div className="area-enqueue">
        <EnqueueForm
          types={types.data}
          queues={rows.map((row) => row.name)}
          pending={actions.enqueue.isPending}
          onSubmit={(request) => actions.enqueue.mutateAsync(request)}
          onOpenTask={(taskId) => navigate({ ...route, taskId })}
        />
      </div>
      <div className="area-queues">
        <QueueList
          queues={rows}
          loading={queues.isPending}
          active={route.filter.queue ?? null}
          pending={pausing}
          onSelect={(queue) => navigate(withFilter(route, { ...route.filter, queue }))}
          onTogglePause={(name, paused) => actions.pause.mutate({ name, paused })}
        />
      </div>
      <div className="area-cron">
        <CronSection route={route} />
      </div>
    </div>
  );
}
