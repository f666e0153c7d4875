import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { RetentionNote } from '../components/RetentionNote';
import { ThroughputChart } from '../components/ThroughputChart';
import { keys } from '../data/keys';
import { useRetention } from '../data/queries';
import type { Throughput } from '../data/throughput';
import { formatClock } from '../format';
import { serverNow } from '../services/clock';
import { getThroughput } from '../services/queues';
import { useNow } from './useNow';

/**
 * The throughput chart: the server's last 15 minutes when the tab opens, then
 * the live stream's counts, redrawn every second; and the retention in force.
 */
export function ThroughputPanel({ throughput }: { throughput: Throughput }) {
  const now = useNow(1000);
  const [since] = useState(() => formatClock(new Date().toISOString()));
  const history = useQuery({ queryKey: keys.throughput, queryFn: getThroughput, staleTime: Infinity, retry: false, meta: { quiet: true } });
  const retention = useRetention();
  useEffect(() => {
    if (history.data) throughput.seed(history.data.points, history.data.interval_secs, serverNow());
  }, [history.data, throughput]);
  const note = history.data ? 'The server’s counts, then live from its event stream.' : `Counted live in this tab since ${since}.`;
  return (
    <>
      <ThroughputChart series={throughput.series(now)} note={note} />
      <RetentionNote retention={retention.data} />
    </>
  );
}
