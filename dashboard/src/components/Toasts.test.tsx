import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Toasts } from './Toasts';

describe('Toasts', () => {
  it('announces errors as alerts and can be dismissed', async () => {
    const onDismiss = vi.fn();
    render(
      <Toasts
        toasts={[
          { id: 1, tone: 'error', message: 'Job x not found' },
          { id: 2, tone: 'success', message: 'Task queued again' },
        ]}
        onDismiss={onDismiss}
      />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('Job x not found');
    expect(screen.getByRole('status')).toHaveTextContent('Task queued again');
    await userEvent.click(screen.getAllByRole('button', { name: 'Dismiss' })[0] as HTMLElement);
    expect(onDismiss).toHaveBeenCalledWith(1);
  });
});
