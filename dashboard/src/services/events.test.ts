import { readEventStream } from './events';
import type { SseMessage } from './sse';
import { writeToken } from './token';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      chunks.forEach((chunk) => controller.enqueue(encoder.encode(chunk)));
      controller.close();
    },
  });
}

describe('readEventStream', () => {
  it('reads events with fetch, carrying the bearer token', async () => {
    writeToken('tok');
    const fetch = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValue(new Response(streamOf(['event: task\ndata: {"task_id":"a"', '}\n\n:\n\nevent: resync\ndata: 2\n\n']), { status: 200 }));
    const messages: SseMessage[] = [];
    const opened = vi.fn();
    await readEventStream(new AbortController().signal, opened, (message) => messages.push(message));
    expect(fetch.mock.calls[0]?.[1]?.headers).toMatchObject({ Authorization: 'Bearer tok', Accept: 'text/event-stream' });
    expect(opened).toHaveBeenCalledOnce();
    expect(messages).toEqual([
      { event: 'task', data: '{"task_id":"a"}' },
      { event: 'resync', data: '2' },
    ]);
  });

  it('fails with the status when the server refuses', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('{"detail":"invalid API token"}', { status: 401 }));
    await expect(readEventStream(new AbortController().signal, vi.fn(), vi.fn())).rejects.toMatchObject({ status: 401 });
  });
});
