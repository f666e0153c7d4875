import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '../services/http';
import { LimitsDialog } from './LimitsDialog';

describe('LimitsDialog', () => {
  it('shows the current limits and saves what was typed', async () => {
    const onSave = vi.fn().mockResolvedValue(undefined);
    const onClose = vi.fn();
    render(<LimitsDialog queue="mail" limits={{ concurrency: 5, key_limits: { gold: 10 } }} pending={false} onSave={onSave} onClose={onClose} />);
    expect(screen.getByRole('dialog', { name: 'Limits of queue mail' })).toBeInTheDocument();
    expect(screen.getByLabelText('Concurrency')).toHaveValue('5');
    expect(screen.getByLabelText('Named keys')).toHaveValue('gold=10');
    await userEvent.clear(screen.getByLabelText('Concurrency'));
    await userEvent.type(screen.getByLabelText('Per key'), '2');
    await userEvent.click(screen.getByRole('checkbox', { name: /Keys take turns/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(onSave).toHaveBeenCalledWith({ per_key_limit: 2, key_limits: { gold: 10 }, fairness: 'round_robin' });
    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it('refuses a bad number before sending anything', async () => {
    const onSave = vi.fn();
    render(<LimitsDialog queue="mail" limits={{}} pending={false} onSave={onSave} onClose={vi.fn()} />);
    await userEvent.type(screen.getByLabelText('Concurrency'), '0');
    await userEvent.click(screen.getByRole('button', { name: 'Save limits' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Concurrency must be a whole number of at least 1');
    expect(onSave).not.toHaveBeenCalled();
  });

  it('shows the server refusal and stays open', async () => {
    const onSave = vi.fn().mockRejectedValue(new ApiError(422, 'queue "mail": too many key limits'));
    const onClose = vi.fn();
    render(<LimitsDialog queue="mail" limits={{ concurrency: 1 }} pending={false} onSave={onSave} onClose={onClose} />);
    await userEvent.click(screen.getByRole('button', { name: 'Remove limits' }));
    expect(onSave).toHaveBeenCalledWith({});
    expect(await screen.findByRole('alert')).toHaveTextContent('too many key limits');
    expect(onClose).not.toHaveBeenCalled();
  });
});
