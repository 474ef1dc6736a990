import { asApiError } from '../../api/errors';

export interface LoadProblem {
  /** One readable sentence for the user. */
  message: string;
  /** Whether the page retries on its own (network and server errors); 4xx need the user. */
  retrying: boolean;
  correlationId: string | null;
}

/** Turn a failed request into words a user can act on ("network error: Failed to fetch" is not). */
export function describeLoadError(err: unknown): LoadProblem {
  const e = asApiError(err);
  if (e.status === 0) return { message: 'Can’t reach the server — retrying…', retrying: true, correlationId: null };
  if (e.status === 429) return { message: 'The server is busy (too many requests) — retrying…', retrying: true, correlationId: e.correlationId };
  if (e.status >= 500) return { message: `The server had a problem (${e.status}) — retrying…`, retrying: true, correlationId: e.correlationId };
  return { message: e.detail, retrying: false, correlationId: e.correlationId };
}

/** Retry a failed logs request every this many ms while it stays failed (network/server errors). */
export const ERROR_RETRY_MS = 5_000;

/** refetchInterval for react-query: poll while the last fetch failed with a retryable error. */
export function retryWhileFailing(state: { status: string; error: unknown; data?: unknown }): number | false {
  // only a first load that failed: with rows on screen, a failed "older lines" page is retried by scrolling
  return state.status === 'error' && state.data === undefined && describeLoadError(state.error).retrying ? ERROR_RETRY_MS : false;
}
