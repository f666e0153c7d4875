import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { formatLocal } from '../format';
import { makeEvent, makeTask } from '../test/factories';
import { TaskDetail } from './TaskDetail';

const failed = makeTask({
  type: 'FAILABS',
  status: 'FAILED',
  attempts: 3,
  max_retries: 3,
  payload: '<b>bold?</b>',
  last_error: 'simulated failure (always fails)',
  started_at: '2026-11-28T04:29:24.030Z',
  finished_at: '2026-11-28T04:29:24.081Z',
  unique_key: 'key-1',
  timeout_ms: 5000,
});

function renderDetail(overrides: Partial<Parameters<typeof TaskDetail>[0]> = {}) {
  const props = {
    id: failed.id,
    task: failed,
    history: [makeEvent({ kind: 'enqueued' }), makeEvent({ kind: 'started', attempt: 1 }), makeEvent({ kind: 'failed', attempt: 3, message: 'boom' })],
    loading: false,
    missing: false,
    busy: false,
    onRetry: vi.fn(),
    onDelete: vi.fn(),
    onClose: vi.fn(),
    ...overrides,
  };
  render(<TaskDetail {...props} />);
  return props;
}

describe('TaskDetail', () => {
  it('names the worker holding a running task', () => {
    renderDetail({ task: { ...failed, status: 'INPROGRESS', worker: 'ocr-worker-1' } });
    expect(screen.getByText('Worker (lease holder)').nextSibling).toHaveTextContent('ocr-worker-1');
  });

  it('shows every field, times in local time', () => {
    renderDetail();
    const grid = within(screen.getByRole('region', { name: 'Details' }));
    expect(grid.getByText(failed.id)).toBeInTheDocument();
    expect(grid.getByText('Max attempts (max_retries)').nextSibling).toHaveTextContent('3');
    expect(grid.getByText('Attempts').nextSibling).toHaveTextContent('3');
    expect(grid.getByText('Created').nextSibling).toHaveTextContent(formatLocal(failed.created_at));
    expect(grid.getByText('Finished').nextSibling).toHaveTextContent('51 ms');
    expect(grid.getByText('key-1')).toBeInTheDocument();
    expect(grid.getByText('5,000 ms')).toBeInTheDocument();
  });

  it('shows the last error, the payload as text and the history', () => {
    renderDetail();
    expect(screen.getByRole('region', { name: 'Last error' })).toHaveTextContent('simulated failure (always fails)');
    expect(screen.getByTestId('payload')).toHaveTextContent('<b>bold?</b>');
    expect(screen.getByTestId('payload').querySelector('b')).toBeNull();
    const steps = screen.getAllByRole('listitem');
    expect(steps.map((s) => s.dataset.kind)).toEqual(['enqueued', 'started', 'failed']);
    expect(steps[2]).toHaveTextContent('attempt 3');
    expect(steps[2]).toHaveTextContent('boom');
  });

  it('retries a failed task and asks to delete', async () => {
    const props = renderDetail();
    await userEvent.click(screen.getByRole('button', { name: /Retry/ }));
    await userEvent.click(screen.getByRole('button', { name: /Delete/ }));
    expect(props.onRetry).toHaveBeenCalledOnce();
    expect(props.onDelete).toHaveBeenCalledOnce();
  });

  it('offers retry only for failed tasks', () => {
    renderDetail({ task: { ...failed, status: 'COMPLETED' } });
    expect(screen.getByRole('button', { name: /Retry/ })).toBeDisabled();
  });

  it('moves focus to its close button and says when the task is gone', () => {
    renderDetail({ task: undefined, missing: true });
    expect(screen.getByRole('button', { name: /Close/ })).toHaveFocus();
    expect(screen.getByText(/no longer exists/)).toBeInTheDocument();
  });
});
