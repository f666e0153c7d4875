import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { QueueList } from './QueueList';

describe('QueueList', () => {
  const queues = [
    { name: 'default', paused: false, counts: { QUEUED: 12, INPROGRESS: 2 } },
    { name: 'mail', paused: true, counts: { QUEUED: 4 } },
  ];

  it('shows depth and running tasks, and pauses or resumes', async () => {
    const onTogglePause = vi.fn();
    render(<QueueList queues={queues} loading={false} active={null} pending={null} onSelect={vi.fn()} onTogglePause={onTogglePause} />);
    expect(screen.getByRole('button', { name: /default/, pressed: false })).toHaveTextContent('12 waiting2 running');
    expect(screen.getByText('Paused')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Pause queue default' }));
    await userEvent.click(screen.getByRole('button', { name: 'Resume queue mail' }));
    expect(onTogglePause.mock.calls).toEqual([
      ['default', true],
      ['mail', false],
    ]);
  });

  it('shows lag and ready, scheduled and retrying depth when the server tells them apart', () => {
    const rows = [
      { name: 'mail', paused: false, counts: { QUEUED: 9, INPROGRESS: 1 }, backlog: { ready: 5, scheduled: 3, retrying: 1 }, lag_ms: 95_000 },
      { name: 'idle', paused: false, counts: {}, backlog: { ready: 0, scheduled: 0, retrying: 0 }, lag_ms: null },
    ];
    render(<QueueList queues={rows} loading={false} active={null} pending={null} onSelect={vi.fn()} onTogglePause={vi.fn()} />);
    const mail = screen.getByRole('button', { name: /mail/, pressed: false });
    expect(mail).toHaveTextContent('lag 95 s');
    expect(mail).toHaveTextContent('lag 95 s5 ready1 running3 scheduled1 retrying');
    expect(screen.getAllByTestId('queue-lag')[0]).toHaveClass('queue-lag-late');
    expect(screen.getByRole('button', { name: /idle/, pressed: false })).toHaveTextContent('no lag');
  });

  it('shows running against the limit, the busiest keys, and when the limit holds tasks back', async () => {
    const rows = [
      {
        name: 'api',
        paused: false,
        counts: { QUEUED: 4, INPROGRESS: 2 },
        backlog: { ready: 4, scheduled: 0, retrying: 0 },
        lag_ms: 10,
        limits: { concurrency: 2, per_key_limit: 1, fairness: 'round_robin' as const },
        busiest_keys: [
          { key: 'acme', running: 1 },
          { key: 'zeta', running: 1 },
        ],
      },
      { name: 'mail', paused: false, counts: { INPROGRESS: 1 }, backlog: { ready: 3, scheduled: 0, retrying: 0 }, lag_ms: 10, limits: {}, busiest_keys: [] },
    ];
    const onEditLimits = vi.fn();
    render(<QueueList queues={rows} loading={false} active={null} pending={null} onSelect={vi.fn()} onTogglePause={vi.fn()} onEditLimits={onEditLimits} />);
    const api = screen.getByRole('button', { name: /api/, pressed: false });
    expect(api).toHaveTextContent('At limit');
    expect(api).toHaveTextContent('2 / 2 running');
    expect(api).toHaveTextContent('1 per keyround-robinbusiest: acme · 1, zeta · 1');
    const mail = screen.getByRole('button', { name: /mail/, pressed: false });
    expect(mail).toHaveTextContent('1 running');
    expect(mail).not.toHaveTextContent('At limit');
    expect(screen.getAllByTestId('queue-limits')).toHaveLength(1);
    await userEvent.click(screen.getByRole('button', { name: 'Limits of queue mail' }));
    expect(onEditLimits).toHaveBeenCalledWith('mail');
  });

  it('filters by a queue, and clears when pressed again', async () => {
    const onSelect = vi.fn();
    render(<QueueList queues={queues} loading={false} active="mail" pending={null} onSelect={onSelect} onTogglePause={vi.fn()} />);
    await userEvent.click(screen.getByRole('button', { name: /default/, pressed: false }));
    await userEvent.click(screen.getByRole('button', { name: /mail/, pressed: true }));
    expect(onSelect.mock.calls).toEqual([['default'], [null]]);
  });

  it('says how a queue appears when there is none', () => {
    render(<QueueList queues={[]} loading={false} active={null} pending={null} onSelect={vi.fn()} onTogglePause={vi.fn()} />);
    expect(screen.getByText(/appears when a task is enqueued/)).toBeInTheDocument();
  });
});
