import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { StatusChips } from './StatusChips';

describe('StatusChips', () => {
  const counts = { QUEUED: 3, INPROGRESS: 1, COMPLETED: 1200, FAILED: 2 };

  it('shows each count and the total', () => {
    render(<StatusChips counts={counts} active={null} onSelect={vi.fn()} />);
    expect(screen.getByRole('button', { name: /All tasks/ })).toHaveTextContent('1,206');
    expect(screen.getByRole('button', { name: /Completed/ })).toHaveTextContent('1,200');
    expect(screen.getByRole('button', { name: /All tasks/ })).toHaveAttribute('aria-pressed', 'true');
  });

  it('filters by the chip pressed', async () => {
    const onSelect = vi.fn();
    render(<StatusChips counts={counts} active="FAILED" onSelect={onSelect} />);
    expect(screen.getByRole('button', { name: /Failed/ })).toHaveAttribute('aria-pressed', 'true');
    await userEvent.click(screen.getByRole('button', { name: /In progress/ }));
    expect(onSelect).toHaveBeenCalledWith('INPROGRESS');
    await userEvent.click(screen.getByRole('button', { name: /All tasks/ }));
    expect(onSelect).toHaveBeenLastCalledWith(null);
  });

  it('shows dashes until the counts arrive', () => {
    render(<StatusChips counts={undefined} active={null} onSelect={vi.fn()} />);
    expect(screen.getByRole('button', { name: /Queued/ })).toHaveTextContent('–');
  });
});
