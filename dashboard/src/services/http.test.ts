import { jsonResponse } from '../test/factories';
import { ApiError, onUnauthorized, request } from './http';
import { writeToken } from './token';

describe('request', () => {
  it('sends the stored token as a bearer header', async () => {
    writeToken('s3cret');
    const fetch = vi.spyOn(globalThis, 'fetch').mockResolvedValue(jsonResponse({ ok: true }));
    await request('/api/counts');
    const init = fetch.mock.calls[0]?.[1];
    expect(init?.headers).toMatchObject({ Authorization: 'Bearer s3cret' });
  });

  it('sends no authorization without a token', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch').mockResolvedValue(jsonResponse([]));
    await request('/api/types');
    expect(fetch.mock.calls[0]?.[1]?.headers).not.toHaveProperty('Authorization');
  });

  it('turns {"detail"} answers into errors that carry the status', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(jsonResponse({ detail: 'Job 1 not found' }, 404));
    await expect(request('/api/tasks/1')).rejects.toEqual(new ApiError(404, 'Job 1 not found'));
  });

  it('reports a 401 so that the token prompt shows', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(jsonResponse({ detail: 'missing API token' }, 401));
    const seen: string[] = [];
    const stop = onUnauthorized((detail) => seen.push(detail));
    await expect(request('/api/counts')).rejects.toMatchObject({ status: 401 });
    stop();
    expect(seen).toEqual(['missing API token']);
  });

  it('says the server is unreachable when fetch itself fails', async () => {
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(new TypeError('Failed to fetch'));
    await expect(request('/api/counts')).rejects.toMatchObject({ status: 0, message: expect.stringContaining('Cannot reach') as unknown });
  });

  it('passes an abort through as it is: the caller gave up, the server is fine', async () => {
    const abort = new AbortController();
    abort.abort();
    const aborted = new DOMException('The operation was aborted.', 'AbortError');
    vi.spyOn(globalThis, 'fetch').mockRejectedValue(aborted);
    await expect(request('/api/tasks', { signal: abort.signal })).rejects.toBe(aborted);
  });
});
