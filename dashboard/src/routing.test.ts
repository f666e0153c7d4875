import { navigate, parseRoute, routeHref } from './routing';

describe('routing', () => {
  it('reads the task and the filters from the address', () => {
    expect(parseRoute('/tasks/abc', '?status=failed&type=EMAIL&queue=mail&q=hello')).toEqual({
      taskId: 'abc',
      filter: { status: 'FAILED', type: 'EMAIL', queue: 'mail', q: 'hello' },
      cursor: null,
      trail: null,
    });
  });

  it('ignores an unknown status and unknown paths', () => {
    expect(parseRoute('/elsewhere', '?status=done')).toEqual({
      taskId: null,
      filter: { status: null, type: null, queue: null, q: null },
      cursor: null,
      trail: null,
    });
  });

  it('writes what it reads', () => {
    const route = { taskId: 'a b', filter: { status: 'QUEUED' as const, type: null, queue: 'x', q: null }, cursor: 'MDFh', trail: [null, 'MDFi'] };
    const href = routeHref(route);
    expect(href).toBe('/tasks/a%20b?status=QUEUED&queue=x&cursor=MDFh');
    const url = new URL(href, 'http://localhost');
    expect(parseRoute(url.pathname, url.search, { trail: route.trail })).toEqual(route);
  });

  it('keeps the page in the address and the way back in the history entry', () => {
    window.history.replaceState(null, '', '/');
    navigate({ ...parseRoute('/', ''), cursor: 'MDFh', trail: [null] });
    expect(window.location.search).toBe('?cursor=MDFh');
    expect(parseRoute(window.location.pathname, window.location.search, window.history.state)).toMatchObject({ cursor: 'MDFh', trail: [null] });
  });
});
