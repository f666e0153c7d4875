import { render, screen } from '@testing-library/react';
import { writeToken } from '../services/token';
import { withQueryClient } from '../test/factories';
import { MetricsDialog } from './MetricsDialog';

describe('MetricsDialog', () => {
  it('fetches the metrics with the token and shows them', async () => {
    writeToken('s3cret');
    const fetch = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('rustqueue_tasks_total 3\n', { status: 200 }));
    const { wrapper } = withQueryClient();
    render(<MetricsDialog onClose={vi.fn()} />, { wrapper });
    expect(await screen.findByTestId('metrics-text')).toHaveTextContent('rustqueue_tasks_total 3');
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('/metrics');
    expect(init.headers).toMatchObject({ Authorization: 'Bearer s3cret' });
  });

  it('says why when the server refuses', async () => {
    vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(JSON.stringify({ detail: 'invalid API token' }), { status: 401 }));
    const { wrapper } = withQueryClient();
    render(<MetricsDialog onClose={vi.fn()} />, { wrapper });
    expect(await screen.findByText(/Could not load the metrics: invalid API token/)).toBeInTheDocument();
  });
});
