import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { demoTypes, makeTask } from '../test/factories';
import { EnqueueForm, toNewTask, type EnqueueValues } from './EnqueueForm';

const base: EnqueueValues = {
  type: 'EMAIL',
  payload: 'hi',
  asJson: false,
  queue: '',
  priority: '',
  maxRetries: '',
  delaySeconds: '',
  uniqueKey: '',
  timeoutMs: '',
  copies: '1',
};

describe('toNewTask', () => {
  it('sends only the fields filled in', () => {
    expect(toNewTask(base)).toEqual({ task: { type: 'EMAIL', payload: 'hi' }, copies: 1 });
  });

  it('parses JSON payloads and numbers', () => {
    const { task, copies } = toNewTask({ ...base, payload: '{"to":"a"}', asJson: true, queue: ' mail ', priority: '5', delaySeconds: '2', copies: '3' });
    expect(task).toEqual({ type: 'EMAIL', payload: { to: 'a' }, queue: 'mail', priority: 5, delay_ms: 2000 });
    expect(copies).toBe(3);
  });

  it('explains what is wrong', () => {
    expect(() => toNewTask({ ...base, type: '' })).toThrow('Choose a task type.');
    expect(() => toNewTask({ ...base, asJson: true, payload: '{' })).toThrow('not valid JSON');
    expect(() => toNewTask({ ...base, maxRetries: '0' })).toThrow('Max attempts');
    expect(() => toNewTask({ ...base, copies: '2', uniqueKey: 'k' })).toThrow('unique key');
    expect(() => toNewTask({ ...base, asJson: true, payload: '  ' })).toThrow('Type a JSON payload');
    expect(toNewTask({ ...base, asJson: true, payload: 'null' }).task.payload).toBeNull();
  });
});

describe('EnqueueForm', () => {
  it('offers the types the server sent and submits the task', async () => {
    const onSubmit = vi.fn().mockResolvedValue([{ task: makeTask(), duplicate: false }]);
    render(<EnqueueForm types={demoTypes} queues={[]} pending={false} onSubmit={onSubmit} onOpenTask={vi.fn()} />);
    const user = userEvent.setup();
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['Choose a type…', 'EMAIL', 'FAILABS']);
    await user.selectOptions(screen.getByLabelText('Type'), 'FAILABS');
    expect(screen.getByText('demo: always fails after 1 s')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Payload'), 'boom');
    await user.click(screen.getByRole('button', { name: 'Enqueue' }));
    expect(onSubmit).toHaveBeenCalledWith({ task: { type: 'FAILABS', payload: 'boom' }, copies: 1 });
  });

  it('sends the same JSON task again on a second click, never a null payload', async () => {
    const onSubmit = vi.fn().mockResolvedValue([{ task: makeTask(), duplicate: false }]);
    render(<EnqueueForm types={demoTypes} queues={[]} pending={false} onSubmit={onSubmit} onOpenTask={vi.fn()} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Type'), 'EMAIL');
    await user.click(screen.getByLabelText('Send the payload as JSON'));
    await user.type(screen.getByLabelText('Payload'), '{{"to": "a"}');
    await user.click(screen.getByRole('button', { name: 'Enqueue' }));
    await user.click(screen.getByRole('button', { name: 'Enqueue' }));
    expect(onSubmit).toHaveBeenCalledTimes(2);
    expect(onSubmit).toHaveBeenLastCalledWith({ task: { type: 'EMAIL', payload: { to: 'a' } }, copies: 1 });
  });

  it('says an enqueue was a duplicate and links the task holding the key', async () => {
    const holder = makeTask({ unique_key: 'invoice-7', status: 'INPROGRESS' });
    const onOpenTask = vi.fn();
    render(<EnqueueForm types={demoTypes} queues={[]} pending={false} onSubmit={vi.fn().mockResolvedValue([{ task: holder, duplicate: true }])} onOpenTask={onOpenTask} />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Type'), 'EMAIL');
    await user.click(screen.getByRole('button', { name: 'Enqueue' }));
    expect(await screen.findByRole('status')).toHaveTextContent('Not enqueued: a duplicate');
    expect(screen.getByRole('status')).toHaveTextContent('invoice-7');
    await user.click(screen.getByRole('link'));
    expect(onOpenTask).toHaveBeenCalledWith(holder.id);
  });

  it('shows a validation error instead of submitting', async () => {
    const onSubmit = vi.fn();
    render(<EnqueueForm types={demoTypes} queues={[]} pending={false} onSubmit={onSubmit} onOpenTask={vi.fn()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Enqueue' }));
    expect(screen.getByRole('alert')).toHaveTextContent('Choose a task type.');
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('waits for the types before it can submit', () => {
    render(<EnqueueForm types={undefined} queues={[]} pending={false} onSubmit={vi.fn()} onOpenTask={vi.fn()} />);
    expect(screen.getByRole('button', { name: 'Enqueue' })).toBeDisabled();
    expect(screen.getByRole('option', { name: 'Loading types…' })).toBeInTheDocument();
  });
});
