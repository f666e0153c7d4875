/** Keeps the dashboard live: reads the event stream, updates caches and the throughput counter. */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { serverNow } from '../services/clock';
import { readEventStream } from '../services/events';
import { isUnauthorized } from '../services/http';
import type { SseMessage } from '../services/sse';
import type { TaskCounts, TaskTransition } from '../services/types';
import { keys } from './keys';
import type { Throughput } from './throughput';
import { applyTransition, throttle } from './transitions';

/** Where the live connection is. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

/** How often, at most, the visible list is refetched while events pour in. */
const LIST_REFRESH_MS = 400;
const MAX_BACKOFF_MS = 10_000;

function handle(
  client: QueryClient,
  throughput: Throughput,
  refreshLists: () => void,
  message: SseMessage,
): void {
  if (message.event === 'counts') {
    client.setQueryData<TaskCounts>(keys.counts, JSON.parse(message.data) as TaskCounts);
  } else if (message.event === 'task') {
    const transition = JSON.parse(message.data) as TaskTransition;
    if (transition.kind === 'completed' || transition.kind === 'failed') {
      throughput.record(transition.kind, serverNow());
    }
    applyTransition(client, transition);
    refreshLists();
  } else if (message.event === 'resync') {
    // Transitions were skipped: whatever is cached may be stale.
    void client.invalidateQueries();
  }
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Connects while mounted (and again whenever `authVersion` changes), reconnecting with back-off. */
export function useLiveEvents(throughput: Throughput, authVersion: number): LiveState {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');

  useEffect(() => {
    const abort = new AbortController();
    const lists = throttle(() => void client.invalidateQueries({ queryKey: keys.pages }), LIST_REFRESH_MS);
    // A function, so that the checks after each await read the signal afresh.
    const stopped = () => abort.signal.aborted;
    const run = async () => {
      let backoff = 500;
      let connections = 0;
      while (!stopped()) {
        try {
          await readEventStream(
            abort.signal,
            () => {
              // After a drop, events were missed: reload what is shown.
              if (connections++ > 0) void client.invalidateQueries();
              backoff = 500;
              setState('live');
            },
            (message) => {
              handle(client, throughput, lists.call, message);
            },
          );
        } catch (error) {
          if (isUnauthorized(error)) {
            setState('unauthorized');
            return;
          }
        }
        if (stopped()) return;
        setState('reconnecting');
        await wait(backoff, abort.signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    };
    void run();
    return () => {
      abort.abort();
      lists.cancel();
    };
  }, [client, throughput, authVersion]);

  return state;
}
