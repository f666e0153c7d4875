import { act, fireEvent, render, screen } from '@testing-library/react';
import { FilterBar, SEARCH_DELAY_MS } from './FilterBar';

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
      await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS - 20);
    });
    // Another key within the delay starts it again.
    fireEvent.change(search, { target: { value: 'abcd' } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS - 20);
    });
    expect(onChange).not.toHaveBeenCalled();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(40);
    });
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith({ ...none, q: 'abcd' });
    vi.useRealTimers();
  });

  it('searches at once on Enter, but not below 3 characters', () => {
    const onChange = vi.fn();
    render(<FilterBar filter={none} types={[]} queues={[]} onChange={onChange} />);
    const search = screen.getByRole('searchbox');
    fireEvent.change(search, { target: { value: 'ab' } });
    fireEvent.keyDown(search, { key: 'Enter' });
    expect(onChange).not.toHaveBeenCalled();
    fireEvent.change(search, { target: { value: 'abc' } });
    fireEvent.keyDown(search, { key: 'Enter' });
    expect(onChange).toHaveBeenCalledWith({ ...none, q: 'abc' });
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
