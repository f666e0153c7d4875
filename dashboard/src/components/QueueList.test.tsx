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
