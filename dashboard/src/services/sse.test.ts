import { SseParser } from './sse';

describe('SseParser', () => {
  it('dispatches named events with their data', () => {
    const parser = new SseParser();
    expect(parser.feed('event: task\ndata: {"a":1}\n\n')).toEqual([{ event: 'task', data: '{"a":1}' }]);
  });

  it('joins events cut across chunks and lines with CRLF', () => {
    const parser = new SseParser();
    expect(parser.feed('event: cou')).toEqual([]);
    expect(parser.feed('nts\r\ndata: 1\r')).toEqual([]);
    expect(parser.feed('\n\r\nevent: resync\ndata: 3\n\n')).toEqual([
      { event: 'counts', data: '1' },
      { event: 'resync', data: '3' },
    ]);
  });

  it('skips comments (keep-alives), joins data lines, defaults the name to message', () => {
    const parser = new SseParser();
    expect(parser.feed(':\n\ndata: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('forgets an event name that came without data', () => {
    const parser = new SseParser();
    expect(parser.feed('event: task\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
