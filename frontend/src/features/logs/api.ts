import { keepPreviousData, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api';
import { asApiError, toApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import { toApiQuery, type LogFilters, type LogsQuery } from './filters';

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
  });
}

export function useLogSummary(filters: LogFilters) {
  return useQuery({
    queryKey: ['logs', 'summary', filters],
    queryFn: ({ signal }) => unwrap(api.GET('/api/logs/summary', { params: { query: toApiQuery(filters) }, signal })),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  });
}

/** The filename of a Content-Disposition header (filename* wins over filename); never a path. */
export function filenameFromDisposition(header: string | null | undefined, fallback = 'logs-export.csv'): string {
  if (!header) return fallback;
  let name: string | undefined;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star?.[1]) {
    try {
      name = decodeURIComponent(star[1].trim());
    } catch {
      name = undefined;
    }
  }
  name ??= /filename\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(header)?.[1]?.replace(/\\(.)/g, '$1') ?? /filename\s*=\s*([^;]+)/.exec(header)?.[1];
  const clean = (name ?? '').replace(/[/\\]/g, '_').trim();
  return clean || fallback;
}

/** GET /api/logs/export as a stream (bearer + refresh via the client), counting bytes. */
export async function fetchLogExport(
  query: LogsQuery,
  onProgress: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<{ blob: Blob; filename: string }> {
  let result;
  try {
    result = await api.GET('/api/logs/export', { params: { query: { ...query, format: 'csv' } }, parseAs: 'stream', signal });
  } catch (err) {
    throw asApiError(err);
  }
  const { response } = result;
  if (!response.ok || result.error !== undefined) throw toApiError(result.error, response);
  const filename = filenameFromDisposition(response.headers.get('Content-Disposition'));
  const chunks: Uint8Array[] = [];
  if (response.body) {
    const reader = response.body.getReader();
    let bytes = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        bytes += value.byteLength;
        onProgress(bytes);
      }
    } finally {
      reader.releaseLock();
    }
  }
  return { blob: new Blob(chunks as BlobPart[], { type: 'text/csv;charset=utf-8' }), filename };
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
