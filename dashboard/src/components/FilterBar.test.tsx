import { act, fireEvent, render, screen } from '@testing-library/react';
import { FilterBar } from './FilterBar';

const none = { status: null, type: null, queue: null, q: null };

describe('FilterBar', () => {
  it('sends the search once typing pauses, and only from 3 characters', async () => {
    vi.useFakeTimers();
    const onChange = vi.fn();
    render(<FilterBar filter={none} types={['EMAIL']} queues={['default']} onChange={onChange} />);
    const search = screen.getByRole('searchbox');
    fireEvent.change(search, { target: { value: 'ab' } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(500);
    });
    expect(onChange).not.toHaveBeenCalled();
    expect(screen.getByText(/at least 3 characters/)).toBeInTheDocument();
    fireEvent.change(search, { target: { value: 'abc' } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(100);
    });
    expect(onChange).not.toHaveBeenCalled();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(200);
    });
    expect(onChange).toHaveBeenCalledWith({ ...none, q: 'abc' });
    vi.useRealTimers();
  });

  it('filters by type and queue, and clears everything', () => {
    const onChange = vi.fn();
    const { rerender } = render(<FilterBar filter={none} types={['EMAIL']} queues={['mail']} onChange={onChange} />);
    fireEvent.change(screen.getByLabelText('Filter by type'), { target: { value: 'EMAIL' } });
    expect(onChange).toHaveBeenLastCalledWith({ ...none, type: 'EMAIL' });
    fireEvent.change(screen.getByLabelText('Filter by queue'), { target: { value: 'mail' } });
    expect(onChange).toHaveBeenLastCalledWith({ ...none, queue: 'mail' });
    rerender(<FilterBar filter={{ ...none, queue: 'mail' }} types={['EMAIL']} queues={['mail']} onChange={onChange} />);
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    expect(onChange).toHaveBeenLastCalledWith(none);
  });
});
