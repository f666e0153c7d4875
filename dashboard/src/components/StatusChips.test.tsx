import { noBacklog } from '../test/factories';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { countScope } from '../data/scope';
import type { TaskCounts } from '../services/types';
import { StatusChips } from './StatusChips';

describe('StatusChips', () => {
  const byStatus = { QUEUED: 3, INPROGRESS: 1, COMPLETED: 1200, FAILED: 2 };
  const counts: TaskCounts = { ...noBacklog, by_status: byStatus, by_type: {}, by_queue: { mail: { QUEUED: 1, FAILED: 1 } } };
  const all = { counts: byStatus, label: 'every task', exact: true };

  it('shows each count and the total', () => {
    render(<StatusChips scope={all} active={null} onSelect={vi.fn()} />);
    expect(screen.getByRole('button', { name: /All tasks/ })).toHaveTextContent('1,206');
    expect(screen.getByRole('button', { name: /Completed/ })).toHaveTextContent('1,200');
    expect(screen.getByRole('button', { name: /All tasks/ })).toHaveAttribute('aria-pressed', 'true');
  });

  it('counts only the filtered queue while the list shows it, and says so', () => {
    render(<StatusChips scope={countScope({ queue: 'mail' }, counts)} active={null} onSelect={vi.fn()} />);
    expect(screen.getByRole('button', { name: /Failed/ })).toHaveTextContent('1');
    expect(screen.getByRole('button', { name: /Completed/ })).toHaveTextContent('0');
    expect(screen.getByTestId('chips-scope')).toHaveTextContent('Counts for queue mail');
  });

  it('labels global counts as such under a search', () => {
    render(<StatusChips scope={countScope({ q: 'needle' }, counts)} active={null} onSelect={vi.fn()} />);
    expect(screen.getByTestId('chips-scope')).toHaveTextContent('Counts for every task');
  });

  it('filters by the chip pressed', async () => {
    const onSelect = vi.fn();
    render(<StatusChips scope={all} active="FAILED" onSelect={onSelect} />);
    expect(screen.getByRole('button', { name: /Failed/ })).toHaveAttribute('aria-pressed', 'true');
    await userEvent.click(screen.getByRole('button', { name: /In progress/ }));
    expect(onSelect).toHaveBeenCalledWith('INPROGRESS');
    await userEvent.click(screen.getByRole('button', { name: /All tasks/ }));
    expect(onSelect).toHaveBeenLastCalledWith(null);
  });

  it('shows dashes until the counts arrive', () => {
    render(<StatusChips scope={countScope({}, undefined)} active={null} onSelect={vi.fn()} />);
    expect(screen.getByRole('button', { name: /Queued/ })).toHaveTextContent('–');
  });
});
