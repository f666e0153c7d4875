import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ConfirmDialog } from './ConfirmDialog';
import { TokenPrompt } from './TokenPrompt';

describe('ConfirmDialog', () => {
  it('focuses Cancel, keeps Tab inside, and closes with Escape', async () => {
    const onCancel = vi.fn();
    const onConfirm = vi.fn();
    render(
      <ConfirmDialog title="Clear every task?" confirmLabel="Clear everything" onConfirm={onConfirm} onCancel={onCancel}>
        <p>Gone for good.</p>
      </ConfirmDialog>,
    );
    expect(screen.getByRole('dialog', { name: 'Clear every task?' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    const user = userEvent.setup();
    await user.tab();
    expect(screen.getByRole('button', { name: 'Clear everything' })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(onCancel).toHaveBeenCalledOnce();
    await user.click(screen.getByRole('button', { name: 'Clear everything' }));
    expect(onConfirm).toHaveBeenCalledOnce();
  });
});

describe('TokenPrompt', () => {
  it('takes the token and says why it is asked', async () => {
    const onSubmit = vi.fn();
    render(<TokenPrompt reason="missing API token" hadToken={false} onSubmit={onSubmit} />);
    expect(screen.getByText(/missing API token/)).toBeInTheDocument();
    const input = screen.getByLabelText('Token');
    expect(input).toHaveFocus();
    await userEvent.type(input, ' s3cret {Enter}');
    expect(onSubmit).toHaveBeenCalledWith('s3cret');
  });

  it('says when the token given was refused', () => {
    render(<TokenPrompt reason="invalid API token" hadToken onSubmit={vi.fn()} />);
    expect(screen.getByText(/refused the token/)).toBeInTheDocument();
  });
});
