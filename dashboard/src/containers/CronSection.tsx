import { CronPanel } from '../components/CronPanel';
import { useActions } from '../data/actions';
import { useCronEntries } from '../data/queries';
import { navigate, type Route } from '../routing';
import { useNow } from './useNow';

/** The cron entries, polled, with their run-now, enable and disable actions and links to their last tasks. */
export function CronSection({ route }: { route: Route }) {
  const entries = useCronEntries();
  const { cron, cronRun } = useActions();
  const now = useNow(1000);
  const pending = cron.isPending ? cron.variables.name : cronRun.isPending ? cronRun.variables : null;
  return (
    <CronPanel
      entries={entries.data ?? []}
      loading={entries.isPending}
      now={now}
      pending={pending}
      onToggle={(name, enabled) => cron.mutate({ name, enabled })}
      onRunNow={(name) => cronRun.mutate(name)}
      onOpenTask={(taskId) => navigate({ ...route, taskId })}
    />
  );
}
