import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { WorkerInfo } from '../services/types';
import { WorkersPanel } from './WorkersPanel';

describe('WorkersPanel', () => {
  const now = Date.parse('2026-11-28T04:31:00Z');
  const workers: WorkerInfo[] = [
    {
      id: 'node:web-1:4242:01a2',
      kind: 'local',
      hostname: 'web-1',
      pid: 4242,
      types: ['EMAIL'],
      concurrency: 4,
      last_seen_at: '2026-11-28T04:31:00Z',
      running: [{ task_id: '01a2206a-393c-7065-9572-000000000042', type: 'EMAIL', queue: 'mail', started_at: '2026-11-28T04:30:58.500Z' }],
    },
    { id: 'resizer-7f3a9c1e2b4d', kind: 'remote', types: ['RESIZE'], last_seen_at: '2026-11-28T04:29:00Z', running: [] },
  ];

  it('shows what each worker runs, its heartbeat, and marks stale ones', async () => {
    const onOpenTask = vi.fn();
    render(<WorkersPanel workers={workers} unavailable={false} now={now} onOpenTask={onOpenTask} />);
    const [local, remote] = screen.getAllByRole('listitem').filter((item) => item.classList.contains('worker'));
    if (!local || !remote) throw new Error('two workers expected');
    expect(local).toHaveTextContent('web-1:4242');
    expect(local).toHaveTextContent('server node');
    expect(local).toHaveTextContent('1/4 running');
    expect(local).toHaveTextContent('in mail, for 1.5 s');
    expect(within(local).queryByText('Stale')).toBeNull();
    expect(remote).toHaveTextContent('Heartbeat 2 min ago');
    expect(within(remote).getByText('Stale')).toBeInTheDocument();
    await userEvent.click(within(local).getByRole('link'));
    expect(onOpenTask).toHaveBeenCalledWith('01a2206a-393c-7065-9572-000000000042');
  });

  it('marks a lease holder with no heartbeat on record as stale', () => {
    render(<WorkersPanel workers={[{ id: 'ghost-1', kind: 'remote', types: [], running: [], last_seen_at: null }]} unavailable={false} now={now} onOpenTask={vi.fn()} />);
    expect(screen.getByText('No heartbeat on record')).toBeInTheDocument();
    expect(screen.getByText('Stale')).toBeInTheDocument();
  });

  it('says when the server cannot list workers', () => {
    render(<WorkersPanel workers={undefined} unavailable now={now} onOpenTask={vi.fn()} />);
    expect(screen.getByText(/does not list its workers/)).toBeInTheDocument();
  });
});
