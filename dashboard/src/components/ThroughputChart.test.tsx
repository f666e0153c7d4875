import { render, screen } from '@testing-library/react';
import { WINDOW_SECONDS } from '../data/throughput';
import { niceCeiling, ThroughputChart } from './ThroughputChart';

describe('ThroughputChart', () => {
  it('scales to a round maximum', () => {
    expect([0, 1, 3, 7, 12, 180].map(niceCeiling)).toEqual([1, 1, 5, 10, 20, 200]);
  });

  it('describes the last 15 minutes and the current rates', () => {
    const completed = new Array<number>(WINDOW_SECONDS).fill(0);
    const failed = new Array<number>(WINDOW_SECONDS).fill(0);
    completed.fill(4, -11, -1);
    failed[WINDOW_SECONDS - 3] = 5;
    render(<ThroughputChart series={{ completed, failed, end: 0 }} note="Counted live in this tab since 10:00:00." />);
    expect(screen.getByRole('img')).toHaveAccessibleName(
      'Last 15 minutes: 40 completed, 5 failed; now 4.0 completed and 0.5 failed per second.',
    );
    expect(screen.getByText('5/s')).toBeInTheDocument();
    expect(screen.getByText(/since 10:00:00/)).toBeInTheDocument();
  });
});
