import { mergeQueues } from './queries';

describe('mergeQueues', () => {
  it('joins paused flags with the live counts, which may name new queues', () => {
    const rows = mergeQueues(
      [{ name: 'mail', paused: true, counts: { QUEUED: 1 } }],
      {
        by_status: {},
        by_type: {},
        by_queue: { mail: { QUEUED: 7, INPROGRESS: 2 }, default: { QUEUED: 3 } },
      },
    );
    expect(rows).toEqual([
      { name: 'default', paused: false, counts: { QUEUED: 3 } },
      { name: 'mail', paused: true, counts: { QUEUED: 7, INPROGRESS: 2 } },
    ]);
  });

  it('is empty before anything loaded', () => {
    expect(mergeQueues(undefined, undefined)).toEqual([]);
  });
});
