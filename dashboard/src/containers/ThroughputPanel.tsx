import { useState } from 'react';
import { ThroughputChart } from '../components/ThroughputChart';
import type { Throughput } from '../data/throughput';
import { formatClock } from '../format';
import { useNow } from './useNow';

/** The throughput chart, redrawn every second from the counts kept by the live stream. */
export function ThroughputPanel({ throughput }: { throughput: Throughput }) {
  const now = useNow(1000);
  const [since] = useState(() => formatClock(new Date().toISOString()));
  return <ThroughputChart series={throughput.series(now)} since={since} />;
}
