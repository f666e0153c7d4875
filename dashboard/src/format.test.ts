import { formatAgo, formatCount, formatDuration, formatKeep, formatLocal, formatRelative, jsonText, payloadPreview } from './format';

describe('format', () => {
  it('shows payloads as text: strings as they are, JSON indented', () => {
    expect(jsonText('<script>alert(1)</script>')).toBe('<script>alert(1)</script>');
    expect(jsonText({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(jsonText(null)).toBe('null');
  });

  it('cuts long previews', () => {
    expect(payloadPreview('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
    expect(payloadPreview({ to: 'a' })).toBe('{"to":"a"}');
  });

  it('says durations and ages in words', () => {
    expect(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:00:00.850Z')).toBe('850 ms');
    expect(formatDuration('2026-01-01T00:00:00Z', '2026-01-01T00:03:05Z')).toBe('3 min 5 s');
    expect(formatDuration(null, '2026-01-01T00:00:00Z')).toBeNull();
    const now = Date.parse('2026-01-01T01:00:00Z');
    expect(formatRelative('2026-01-01T00:59:59.5Z', now)).toBe('just now');
    expect(formatRelative('2026-01-01T00:59:30Z', now)).toBe('30 s ago');
    expect(formatRelative('2026-01-01T00:55:00Z', now)).toBe('5 min ago');
    expect(formatRelative('2026-01-01T01:00:10Z', now)).toBe('in 10 s');
    expect(formatAgo('2026-01-01T01:00:10Z', now)).toBe('just now');
    expect(formatAgo('2026-01-01T00:59:30Z', now)).toBe('30 s ago');
  });

  it('shows local times with the zone, and a dash for none', () => {
    expect(formatLocal(null)).toBe('—');
    expect(formatLocal('2026-11-28T04:29:22.108Z')).toMatch(/2026/);
  });

  it('groups counts', () => {
    expect(formatCount(1234)).toBe('1,234');
    expect(formatCount(1_250_000)).toBe('1.3M');
  });

  it('says retentions in the largest whole unit', () => {
    expect(formatKeep(86_400)).toBe('1 d');
    expect(formatKeep(604_800)).toBe('7 d');
    expect(formatKeep(7200)).toBe('2 h');
    expect(formatKeep(5400)).toBe('90 min');
    expect(formatKeep(45)).toBe('45 s');
    expect(formatKeep(null)).toBe('forever');
  });
});
