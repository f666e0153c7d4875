import { useState } from 'react';
import { RetentionNote } from '../components/RetentionNote';
import { ThroughputChart } from '../components/ThroughputChart';
import { useRetention } from '../data/queries';
import type { Throughput } from '../data/throughput';
import { formatClock } from '../format';
import { useNow } from './useNow';

/** The throughput chart, redrawn every second from the counts kept by the live stream, and the retention in force. */
export function ThroughputPanel({ throughput }: { throughput: Throughput }) {
  const now = useNow(1000);
  const [since] = useState(() => formatClock(new Date().toISOString()));
  const retention = useRetention();
  return (
    <>
      <ThroughputChart series={throughput.series(now)} since={since} />
      <RetentionNote retention={retention.data} />
    </>
  );
}
