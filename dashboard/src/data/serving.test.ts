import { noBacklog } from '../test/factories';
import type { TaskCounts } from '../services/types';
import { unservedTypes } from './serving';

describe('unservedTypes', () => {
  const counts: TaskCounts = { ...noBacklog, by_status: {}, by_type: { RESIZE: { QUEUED: 4 }, OCR: { QUEUED: 2 }, EMAIL: { QUEUED: 9 }, IDLE: { COMPLETED: 1 } }, by_queue: {} };

  it('names remote types with queued tasks and no live worker', () => {
    const types = [
      { name: 'EMAIL', description: '', local: true, workers: 0 },
      { name: 'RESIZE', description: '', local: false, workers: 0 },
      { name: 'OCR', description: '', local: false, workers: 2 },
      { name: 'IDLE', description: '', local: false, workers: 0 },
    ];
    expect([...unservedTypes(types, counts)]).toEqual([['RESIZE', 4]]);
  });

  it('says nothing while the server does not tell', () => {
    expect(unservedTypes(undefined, counts).size).toBe(0);
  });
});
