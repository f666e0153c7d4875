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
