import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { RowSelection } from '../data/selection';
import type { TaskCounts } from '../services/types';
import { jsonResponse, withQueryClient, noBacklog } from '../test/factories';
import { BulkControls } from './BulkControls';

const counts: TaskCounts = {
  ...noBacklog, by_status: { FAILED: 28, QUEUED: 3 },
  by_type: { FAILABS: { FAILED: 5 }, EMAIL: { FAILED: 23 } },
  by_queue: {},
};

function selection(ids: string[] = []): RowSelection {
  return { selected: new Set(ids), toggle: vi.fn(), togglePage: vi.fn(), clear: vi.fn() };
}

function sent(fetch: { mock: { calls: unknown[][] } }): { url: string; body: unknown } {
  const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
  return { url, body: JSON.parse(typeof init.body === 'string' ? init.body : '') };
}

describe('BulkControls', () => {
  it('counts the failed tasks the filter matches and asks before retrying them', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch').mockResolvedValue(jsonResponse({ retried: 5, ids: [] }));
    const { wrapper } = withQueryClient();
    render(<BulkControls filter={{ type: 'FAILABS' }} counts={counts} selection={selection()} />, { wrapper });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: /Retry matching failed \(5\)/ }));
    expect(fetch).not.toHaveBeenCalled();
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('Retry 5 failed tasks?');
    await user.click(within(dialog).getByRole('button', { name: 'Retry tasks' }));
    expect(sent(fetch)).toEqual({ url: '/api/tasks/bulk/retry', body: { filter: { type: 'FAILABS', status: 'FAILED' } } });
  });

  it('acts on the ticked rows by id', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch').mockResolvedValue(jsonResponse({ deleted: 2 }));
    const { wrapper } = withQueryClient();
    const ticked = selection(['a', 'b']);
    render(<BulkControls filter={{ type: 'FAILABS' }} counts={counts} selection={ticked} />, { wrapper });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Delete selected (2)…' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete tasks' }));
    expect(sent(fetch)).toEqual({ url: '/api/tasks/bulk/delete', body: { ids: ['a', 'b'] } });
    await vi.waitFor(() => expect(ticked.clear).toHaveBeenCalled());
  });

  it('deletes everything only as "all", after asking', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch').mockResolvedValue(jsonResponse({ deleted: 31 }));
    const { wrapper } = withQueryClient();
    render(<BulkControls filter={{}} counts={counts} selection={selection()} />, { wrapper });
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Delete all…' }));
    expect(screen.getByRole('dialog')).toHaveTextContent('Delete every task?');
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete tasks' }));
    expect(sent(fetch)).toEqual({ url: '/api/tasks/bulk/delete', body: { all: true } });
  });

  it('says it cannot count what a search matches, rather than show the global count', () => {
    const { wrapper } = withQueryClient();
    render(<BulkControls filter={{ q: 'needle' }} counts={counts} selection={selection()} />, { wrapper });
    expect(screen.getByRole('button', { name: /Retry matching failed/ })).not.toHaveTextContent('28');
  });
});
