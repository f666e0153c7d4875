import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { makeCronEntry } from '../test/factories';
import { CronPanel } from './CronPanel';

describe('CronPanel', () => {
  const now = Date.parse('2026-11-28T12:00:00Z');
  const entries = [
    makeCronEntry(),
    makeCronEntry({ name: 'ping', schedule: '*/5 * * * * *', timezone: 'UTC', type: 'SMS', queue: 'default', enabled: false, next_run: null, last_run: null, backfill: true }),
  ];

  it('shows each schedule with its last and next run', () => {
    render(<CronPanel entries={entries} loading={false} now={now} pending={null} onToggle={vi.fn()} onRunNow={vi.fn()} onOpenTask={vi.fn()} />);
    const [nightly, ping] = screen.getAllByRole('listitem');
    if (!nightly || !ping) throw new Error('two entries expected');
    expect(nightly).toHaveTextContent('0 0 3 * * * Europe/Paris · REPORT → reports');
    expect(nightly).toHaveTextContent('Last: 10 h ago');
    expect(nightly).toHaveTextContent('Next: in 14 h');
    expect(within(nightly).getByText('10 h ago')).toHaveAttribute('dateTime', '2026-11-28T02:00:00Z');
    expect(ping).toHaveTextContent('Last: never');
    expect(ping).toHaveTextContent('Next: disabled');
    expect(within(ping).getByText('Disabled')).toBeInTheDocument();
    expect(within(ping).getByText('Backfill')).toBeInTheDocument();
  });

  it('enables and disables entries', async () => {
    const onToggle = vi.fn();
    render(<CronPanel entries={entries} loading={false} now={now} pending="ping" onToggle={onToggle} onRunNow={vi.fn()} onOpenTask={vi.fn()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Disable cron entry nightly-report' }));
    expect(screen.getByRole('button', { name: 'Enable cron entry ping' })).toBeDisabled();
    expect(onToggle.mock.calls).toEqual([['nightly-report', false]]);
  });

  it('runs an entry now and links the task it last enqueued', async () => {
    const onRunNow = vi.fn();
    const onOpenTask = vi.fn();
    render(<CronPanel entries={entries} loading={false} now={now} pending={null} onToggle={vi.fn()} onRunNow={onRunNow} onOpenTask={onOpenTask} />);
    await userEvent.click(screen.getByRole('button', { name: 'Run cron entry nightly-report now' }));
    expect(onRunNow).toHaveBeenCalledWith('nightly-report');
    await userEvent.click(screen.getByRole('link', { name: /Last task of nightly-report/ }));
    expect(onOpenTask).toHaveBeenCalledWith('01a2206a-393c-7065-9572-000000000001');
  });

  it('says how to declare entries when there is none', () => {
    render(<CronPanel entries={[]} loading={false} now={now} pending={null} onToggle={vi.fn()} onRunNow={vi.fn()} onOpenTask={vi.fn()} />);
    expect(screen.getByText(/No recurring tasks/)).toHaveTextContent('--cron-file');
  });
});
