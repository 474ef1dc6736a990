import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api';
import { asApiError } from '../../api/errors';
import { csvFromStreamResult, type CsvFile } from '../../app/download';
import type { components } from '../../api/schema';
import { toApiQuery, type LogFilters, type LogsQuery } from './filters';
import { ERROR_RETRY_MS, retryWhileFailing } from './loadError';

export type LogEntry = components['schemas']['LogEntry'];
export type LogSummary = components['schemas']['LogSummary'];
export type LogPage = components['schemas']['LogPage'];

export const PAGE_SIZE = 500;

interface PageParam {
  cursor: string | null;
  /** When the first page was fetched: relative ranges (15m, 1h…) resolve against it for every page. */
  now: number | null;
}
type StampedPage = LogPage & { now: number };

export const logsKey = (filters: LogFilters) => ['logs', 'list', filters] as const;

/** One page straight from the API (the live tail's gap fill; not cached). */
export async function fetchLogPage(filters: LogFilters, cursor: string | null, signal?: AbortSignal): Promise<LogPage> {
  const query = { ...toApiQuery(filters), limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) };
  return unwrap(api.GET('/api/logs', { params: { query }, signal }));
}

export function useLogPages(filters: LogFilters) {
  return useInfiniteQuery({
    queryKey: logsKey(filters),
    initialPageParam: { cursor: null, now: null } as PageParam,
    queryFn: async ({ pageParam, signal }): Promise<StampedPage> => {
      const now = pageParam.now ?? Date.now();
      const query = { ...toApiQuery(filters, now), limit: PAGE_SIZE, ...(pageParam.cursor ? { cursor: pageParam.cursor } : {}) };
      const page = await unwrap(api.GET('/api/logs', { params: { query }, signal }));
      return { ...page, now };
    },
    getNextPageParam: (last: StampedPage): PageParam | undefined => (last.next_cursor ? { cursor: last.next_cursor, now: last.now } : undefined),
    staleTime: Infinity, // the live tail brings new rows; Refresh starts over
    gcTime: 60_000,
    // a failed load (server down, network gone) keeps trying on its own; the page says so
    refetchInterval: (query) => retryWhileFailing(query.state),
    refetchIntervalInBackground: false,
  });
}

export function useLogSummary(filters: LogFilters) {
  return useQuery({
    queryKey: ['logs', 'summary', filters],
    queryFn: ({ signal }) => unwrap(api.GET('/api/logs/summary', { params: { query: toApiQuery(filters) }, signal })),
    placeholderData: keepPreviousData,
    // the cards show their own "not updated" marker: no toast every 15 s while the server is down
    refetchInterval: (query) => (query.state.status === 'error' ? ERROR_RETRY_MS : 15_000),
    meta: { silent: true },
  });
}

/** GET /api/logs/export as a stream (bearer + refresh via the client), counting bytes. */
export async function fetchLogExport(query: LogsQuery, onProgress: (bytes: number) => void, signal?: AbortSignal): Promise<CsvFile> {
  let result;
  try {
    result = await api.GET('/api/logs/export', { params: { query: { ...query, format: 'csv' } }, parseAs: 'stream', signal });
  } catch (err) {
    throw asApiError(err);
  }
  return csvFromStreamResult(result, 'logs-export.csv', onProgress, signal);
}
