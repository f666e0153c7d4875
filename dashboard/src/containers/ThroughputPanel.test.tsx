import { render, screen } from '@testing-library/react';
import { Throughput } from '../data/throughput';
import { jsonResponse, withQueryClient } from '../test/factories';
import { ThroughputPanel } from './ThroughputPanel';

describe('ThroughputPanel', () => {
  it('draws the server history on a new tab, before any live event', async () => {
    const now = Date.now();
    const points = Array.from({ length: 10 }, (_, i) => ({ at: new Date(now - (i + 2) * 10_000).toISOString(), completed: 30, failed: 10 }));
    vi.spyOn(globalThis, 'fetch').mockImplementation((input) =>
      Promise.resolve((input instanceof Request ? input.url : input.toString()).endsWith('/api/throughput') ? jsonResponse({ interval_secs: 10, points: points.reverse() }) : jsonResponse({ keep_completed_secs: null, keep_failed_secs: null })),
    );
    const { wrapper } = withQueryClient();
    render(<ThroughputPanel throughput={new Throughput()} />, { wrapper });
    expect(await screen.findByText(/The server’s counts/)).toBeInTheDocument();
    await vi.waitFor(() => expect(screen.getByRole('img').getAttribute('aria-label')).toContain('300 completed, 100 failed'));
  });
});
