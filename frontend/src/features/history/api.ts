import { api, unwrap } from '../../api';
import { asApiError } from '../../api/errors';
import { csvFromStreamResult, type CsvFile } from '../../app/download';
import type { SessionDetail, SessionPage } from '../strategy/types';

export interface SessionFilters {
  strategy_id: string;
  status: string;
  underlying: string;
  mode: string;
  start: string;
  end: string;
}

export const EMPTY_FILTERS: SessionFilters = { strategy_id: '', status: '', underlying: '', mode: '', start: '', end: '' };

const tz = () => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
};

/** Query parameters shared by the list and the CSV export (empty filters are left out). */
export function filterQuery(f: SessionFilters): Record<string, string | number> {
  const q: Record<string, string | number> = { tz: tz() };
  if (f.strategy_id) q.strategy_id = Number(f.strategy_id);
  if (f.status) q.status = f.status;
  if (f.underlying) q.underlying = f.underlying;
  if (f.mode) q.mode = f.mode;
  if (f.start || f.end) q.date_field = 'created_at';
  if (f.start) q.start = f.start;
  if (f.end) q.end = f.end;
  return q;
}

export const sessionsKey = (f: SessionFilters, page: number, pageSize: number) => ['sessions', f, page, pageSize] as const;
export const sessionKey = (id: string) => ['sessions', 'detail', id] as const;

export const listSessions = (f: SessionFilters, page: number, pageSize: number): Promise<SessionPage> =>
  unwrap(api.GET('/api/sessions', { params: { query: { ...filterQuery(f), page, page_size: pageSize } as never } }));

export const getSession = (id: string): Promise<SessionDetail> =>
  unwrap(api.GET('/api/sessions/{session_id}', { params: { path: { session_id: id } } }));

/**
 * Download the CSV export with the bearer token (fetch → blob → a temporary link). Retries once
 * after a refresh on 401. Reports received bytes as it streams.
 */
/** GET /api/sessions/export as a stream (bearer + refresh via the client), counting bytes. */
export async function fetchSessionsCsv(f: SessionFilters, onProgress: (bytes: number) => void, signal?: AbortSignal): Promise<CsvFile> {
  let result;
  try {
    result = await api.GET('/api/sessions/export', { params: { query: { ...filterQuery(f), format: 'csv' } }, parseAs: 'stream', signal });
  } catch (err) {
    throw asApiError(err);
  }
  return csvFromStreamResult(result, 'sessions-export.csv', onProgress, signal);
}
