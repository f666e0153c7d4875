import { noBacklog } from '../test/factories';
import { mergeQueues } from './queries';

describe('mergeQueues', () => {
  it('joins paused flags with the live counts, which may name new queues', () => {
    const rows = mergeQueues(
      [{ name: 'mail', paused: true, counts: { QUEUED: 1 }, backlog: noBacklog.backlog, limits: {}, busiest_keys: [] }],
      {
        ...noBacklog, by_status: {},
        by_type: {},
        by_queue: { mail: { QUEUED: 7, INPROGRESS: 2 }, default: { QUEUED: 3 } },
      },
    );
    expect(rows).toEqual([
      { name: 'default', paused: false, counts: { QUEUED: 3 } },
      { name: 'mail', paused: true, counts: { QUEUED: 7, INPROGRESS: 2 }, backlog: noBacklog.backlog, limits: {}, busiest_keys: [] },
    ]);
  });

  it('takes the backlog from the live counts, and the lag from its oldest ready task', () => {
    const now = Date.parse('2026-11-28T12:00:10Z');
    const backlog = { ready: 4, scheduled: 2, retrying: 1, oldest_ready_at: '2026-11-28T12:00:00Z' };
    const [row] = mergeQueues([{ name: 'mail', paused: false, counts: {}, backlog, lag_ms: 5, limits: {}, busiest_keys: [] }], { ...noBacklog, by_status: {}, by_type: {}, by_queue: { mail: { QUEUED: 7 } }, backlog_by_queue: { mail: backlog } }, now);
    expect(row).toEqual({ name: 'mail', paused: false, counts: { QUEUED: 7 }, backlog, lag_ms: 10_000, limits: {}, busiest_keys: [] });
  });

  it('is empty before anything loaded', () => {
    expect(mergeQueues(undefined, undefined)).toEqual([]);
  });
});
