import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeTask } from '../test/factories';
import { TaskTable } from './TaskTable';

const now = Date.parse('2026-11-28T04:30:00Z');

describe('TaskTable', () => {
  it('shows each task with its status, type, queue, payload and attempts', () => {
    const task = makeTask({ status: 'FAILED', type: 'FAILABS', queue: 'mail', attempts: 3, payload: { to: 'a' } });
    render(<TaskTable tasks={[task]} loading={false} selectedId={null} now={now} empty={null} onOpen={vi.fn()} />);
    const row = screen.getByRole('row', { name: /FAILABS/ });
    expect(row).toHaveTextContent('Failed');
    expect(row).toHaveTextContent('mail');
    expect(row).toHaveTextContent('{"to":"a"}');
    expect(row).toHaveTextContent('3/3');
    expect(row).toHaveTextContent('38 s ago');
  });

  it('never shows a creation time in the future, whatever the clocks say', () => {
    const ahead = makeTask({ created_at: new Date(now + 4000).toISOString() });
    render(<TaskTable tasks={[ahead]} loading={false} selectedId={null} now={now} empty={null} onOpen={vi.fn()} />);
    const row = screen.getByRole('row', { name: /EMAIL/ });
    expect(row).toHaveTextContent('just now');
    expect(row).not.toHaveTextContent('in 4 s');
  });

  it('renders a hostile payload as text', () => {
    const { container } = render(
      <TaskTable tasks={[makeTask({ payload: '<script>alert(1)</script><img src=x onerror=alert(2)>' })]} loading={false} selectedId={null} now={now} empty={null} onOpen={vi.fn()} />,
    );
    expect(screen.getByText('<script>alert(1)</script><img src=x onerror=alert(2)>')).toBeInTheDocument();
    expect(container.querySelector('script, img')).toBeNull();
  });

  it('opens a task by its link, from the keyboard too', async () => {
    const task = makeTask();
    const onOpen = vi.fn();
    render(<TaskTable tasks={[task]} loading={false} selectedId={task.id} now={now} empty={null} onOpen={onOpen} />);
    const link = screen.getByRole('link', { name: new RegExp(task.id) });
    expect(link).toHaveAttribute('aria-current', 'true');
    link.focus();
    await userEvent.keyboard('{Enter}');
    expect(onOpen).toHaveBeenCalledWith(task.id);
  });

  it('shows skeletons while loading and the empty state when there is nothing', () => {
    const { rerender } = render(<TaskTable tasks={undefined} loading selectedId={null} now={now} empty={<p>Nothing yet</p>} onOpen={vi.fn()} />);
    expect(screen.getByRole('status', { name: 'Loading tasks' })).toBeInTheDocument();
    rerender(<TaskTable tasks={[]} loading={false} selectedId={null} now={now} empty={<p>Nothing yet</p>} onOpen={vi.fn()} />);
    expect(screen.getByText('Nothing yet')).toBeInTheDocument();
  });
});
