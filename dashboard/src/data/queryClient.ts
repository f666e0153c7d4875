/** The TanStack Query client: no retries on 4xx, errors shown as toasts, 401 left to the token prompt. */
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { ApiError, isUnauthorized } from '../services/http';
import { pushToast } from './toasts';

function toastError(error: Error): void {
  if (!isUnauthorized(error)) pushToast('error', error.message);
}

function shouldRetry(failures: number, error: Error): boolean {
  const clientError = error instanceof ApiError && error.status >= 400 && error.status < 500;
  return !clientError && failures < 2;
}

/** Makes the app's query client. Queries and mutations with `meta: { quiet: true }` show their errors in place. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (query.meta?.quiet !== true) toastError(error);
      },
    }),
    mutationCache: new MutationCache({
      onError: (error, _variables, _context, mutation) => {
        if (mutation.meta?.quiet !== true) toastError(error);
      },
    }),
    defaultOptions: {
      queries: { retry: shouldRetry, staleTime: 10_000, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}
