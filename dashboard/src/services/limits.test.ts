import { describe, expect, it } from 'vitest';
import { describeConcurrency, describePerKey, formatKeyLimits, isHeldBack, parseKeyLimits, parseLimit, toQueueLimits, topKeys } from './limits';

describe('limit formatting', () => {
  it('shows running against the limit only for limited queues', () => {
    expect(describeConcurrency(3, { concurrency: 5 })).toBe('3 / 5 running');
    expect(describeConcurrency(3, {})).toBeNull();
    expect(describePerKey({ per_key_limit: 2 })).toBe('2 per key');
    expect(describePerKey(undefined)).toBeNull();
  });

  it('calls a queue held back only at its limit with ready tasks', () => {
    expect(isHeldBack(5, 1, { concurrency: 5 })).toBe(true);
    expect(isHeldBack(5, 0, { concurrency: 5 })).toBe(false);
    expect(isHeldBack(4, 9, { concurrency: 5 })).toBe(false);
    expect(isHeldBack(5, 9, {})).toBe(false);
  });

  it('lists the three busiest keys, busiest first', () => {
    const usage = [
      { key: 'a', running: 1 },
      { key: 'b', running: 4 },
      { key: 'c', running: 2 },
      { key: 'd', running: 3 },
    ];
    expect(topKeys(usage)).toEqual(['b · 4', 'd · 3', 'c · 2']);
    expect(topKeys(undefined)).toEqual([]);
  });

  it('takes whole numbers of at least 1 only', () => {
    expect(parseLimit('Concurrency', ' 4 ')).toBe(4);
    expect(parseLimit('Concurrency', '')).toBeUndefined();
    expect(parseLimit('Concurrency', '0')).toEqual({ error: 'Concurrency must be a whole number of at least 1' });
    expect(parseLimit('Concurrency', '2.5')).toHaveProperty('error');
    expect(parseLimit('Concurrency', '-1')).toHaveProperty('error');
  });
});

describe('the limits form', () => {
  it('reads named keys from key=limit lines and writes them back', () => {
    expect(parseKeyLimits('gold=10\n\n silver = 3 ')).toEqual({ limits: { gold: 10, silver: 3 } });
    expect(parseKeyLimits('a=b=2')).toEqual({ limits: { 'a=b': 2 } });
    expect(parseKeyLimits('gold')).toEqual({ error: 'Line 1: write a key, "=" and its limit, as gold=10' });
    expect(parseKeyLimits('x=1\n=4')).toHaveProperty('error', 'Line 2: write a key, "=" and its limit, as gold=10');
    expect(parseKeyLimits('gold=0')).toEqual({ error: 'The limit of key gold must be a whole number of at least 1' });
    expect(parseKeyLimits('gold=1\ngold=2')).toEqual({ error: 'Key gold is named twice' });
    expect(formatKeyLimits({ gold: 10, silver: 3 })).toBe('gold=10\nsilver=3');
    expect(formatKeyLimits(undefined)).toBe('');
  });

  it('sends only the limits that were filled in', () => {
    expect(toQueueLimits({ concurrency: '5', perKey: '', keyLimits: '', roundRobin: false })).toEqual({ concurrency: 5 });
    expect(toQueueLimits({ concurrency: '', perKey: '2', keyLimits: 'gold=10', roundRobin: false })).toEqual({ per_key_limit: 2, key_limits: { gold: 10 } });
    expect(toQueueLimits({ concurrency: '', perKey: '', keyLimits: '', roundRobin: false })).toEqual({});
    expect(toQueueLimits({ concurrency: '', perKey: '', keyLimits: '', roundRobin: true })).toEqual({ fairness: 'round_robin' });
    expect(toQueueLimits({ concurrency: 'x', perKey: '', keyLimits: '', roundRobin: false })).toEqual({ error: 'Concurrency must be a whole number of at least 1' });
    expect(toQueueLimits({ concurrency: '', perKey: '0', keyLimits: '', roundRobin: false })).toHaveProperty('error');
  });
});
