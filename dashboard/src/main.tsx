import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { pageQuery } from './data/queries';
import { createQueryClient } from './data/queryClient';
import { Throughput } from './data/throughput';
import { parseRoute } from './routing';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

const client = createQueryClient();
// Ask for the first page of tasks now, so that the request overlaps React's first
// render; the list shows its outcome, errors included.
const route = parseRoute(window.location.pathname, window.location.search);
client.query(pageQuery(route.filter, route.cursor)).catch(() => undefined);

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <App throughput={new Throughput()} />
    </QueryClientProvider>
  </StrictMode>,
);
