/**
 * The live event stream, read with fetch so that it can carry the bearer token
 * (EventSource cannot send headers).
 */
import { API_BASE, ApiError, authHeaders, errorDetail, reportUnauthorized } from './http';
import { SseParser, type SseMessage } from './sse';

/**
 * Reads `GET /api/events` until the server closes it or `signal` aborts,
 * calling `onOpen` once connected and `onMessage` for each event.
 */
export async function readEventStream(
  signal: AbortSignal,
  onOpen: () => void,
  onMessage: (message: SseMessage) => void,
): Promise<void> {
  const response = await fetch(`${API_BASE}/api/events`, {
    headers: { Accept: 'text/event-stream', ...authHeaders() },
    signal,
    cache: 'no-store',
  });
  if (!response.ok || !response.body) {
    const detail = await errorDetail(response);
    if (response.status === 401) reportUnauthorized(detail);
    throw new ApiError(response.status, detail);
  }
  onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    parser.feed(value).forEach(onMessage);
  }
}
