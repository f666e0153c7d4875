import { noBacklog } from '../test/factories';
import type { TaskCounts } from '../services/types';
import { countScope, failedInScope } from './scope';

const counts: TaskCounts = {
  ...noBacklog, by_status: { QUEUED: 5, FAILED: 28 },
  by_type: { EMAIL: { FAILED: 3 }, FAILABS: { FAILED: 25 } },
  by_queue: { mail: { QUEUED: 2, FAILED: 4 } },
};

describe('countScope', () => {
  it('narrows to the queue or the type the filter names', () => {
    expect(countScope({ queue: 'mail' }, counts)).toEqual({ counts: { QUEUED: 2, FAILED: 4 }, label: 'queue mail', exact: true });
    expect(countScope({ type: 'EMAIL', status: 'FAILED' }, counts)).toEqual({ counts: { FAILED: 3 }, label: 'type EMAIL', exact: true });
    expect(countScope({ queue: 'empty' }, counts).counts).toEqual({});
  });

  it('gives every task, marked as wider, when the counts cannot narrow', () => {
    expect(countScope({ q: 'needle' }, counts)).toMatchObject({ label: 'every task', exact: false });
    expect(countScope({ type: 'EMAIL', queue: 'mail' }, counts)).toMatchObject({ exact: false });
    expect(countScope({}, counts)).toMatchObject({ counts: counts.by_status, exact: true });
  });
});

describe('failedInScope', () => {
  it('counts the failed tasks a retry would touch, not the global total', () => {
    expect(failedInScope({ type: 'EMAIL' }, counts)).toBe(3);
    expect(failedInScope({}, counts)).toBe(28);
    expect(failedInScope({ status: 'QUEUED' }, counts)).toBe(0);
    expect(failedInScope({ q: 'needle' }, counts)).toBeNull();
  });
});
