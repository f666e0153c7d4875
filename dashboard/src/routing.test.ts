import { parseRoute, routeHref } from './routing';

describe('routing', () => {
  it('reads the task and the filters from the address', () => {
    expect(parseRoute('/tasks/abc', '?status=failed&type=EMAIL&queue=mail&q=hello')).toEqual({
      taskId: 'abc',
      filter: { status: 'FAILED', type: 'EMAIL', queue: 'mail', q: 'hello' },
    });
  });

  it('ignores an unknown status and unknown paths', () => {
    expect(parseRoute('/elsewhere', '?status=done')).toEqual({
      taskId: null,
      filter: { status: null, type: null, queue: null, q: null },
    });
  });

  it('writes what it reads', () => {
    const route = { taskId: 'a b', filter: { status: 'QUEUED' as const, type: null, queue: 'x', q: null } };
    const href = routeHref(route);
    expect(href).toBe('/tasks/a%20b?status=QUEUED&queue=x');
    const url = new URL(href, 'http://localhost');
    expect(parseRoute(url.pathname, url.search)).toEqual(route);
  });
});
