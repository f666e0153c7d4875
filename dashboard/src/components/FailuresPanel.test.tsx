import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeTask } from '../test/factories';
import { FailuresPanel } from './FailuresPanel';

describe('FailuresPanel', () => {
  const now = Date.parse('2026-11-28T04:31:00Z');

  it('counts failures per type and shows the newest with their errors', async () => {
    const task = makeTask({ status: 'FAILED', type: 'FAILABS', last_error: 'boom: always fails', finished_at: '2026-11-28T04:30:00Z' });
    const onFilterType = vi.fn();
    const onOpenTask = vi.fn();
    render(<FailuresPanel byType={[['FAILABS', 25], ['FAIL', 3]]} recent={[task]} now={now} onFilterType={onFilterType} onOpenTask={onOpenTask} />);
    expect(screen.getByRole('region', { name: 'Failures' })).toHaveTextContent('28');
    expect(screen.getByText('boom: always fails')).toBeInTheDocument();
    expect(screen.getByText('1 min ago')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'FAIL 3' }));
    expect(onFilterType).toHaveBeenCalledWith('FAIL');
    await userEvent.click(screen.getByRole('link', { name: new RegExp(task.id) }));
    expect(onOpenTask).toHaveBeenCalledWith(task.id);
  });

  it('says when nothing failed', () => {
    render(<FailuresPanel byType={[]} recent={[]} now={now} onFilterType={vi.fn()} onOpenTask={vi.fn()} />);
    expect(screen.getByText('No failed tasks.')).toBeInTheDocument();
  });
});
