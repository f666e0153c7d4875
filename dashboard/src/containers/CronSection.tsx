import { CronPanel } from '../components/CronPanel';
import { useActions } from '../data/actions';
import { useCronEntries } from '../data/queries';
import { useNow } from './useNow';

/** The cron entries, polled, with their enable and disable actions. */
export function CronSection() {
  const entries = useCronEntries();
  const { cron } = useActions();
  const now = useNow(1000);
  return (
    <CronPanel
      entries={entries.data ?? []}
      loading={entries.isPending}
      now={now}
      pending={cron.isPending ? cron.variables.name : null}
      onToggle={(name, enabled) => cron.mutate({ name, enabled })}
    />
  );
}
