import { api, session, unwrap } from '../../api';
import { toApiError } from '../../api/errors';
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
export async function downloadSessionsCsv(f: SessionFilters, onProgress?: (bytes: number) => void): Promise<string> {
  const params = new URLSearchParams({ format: 'csv' });
  for (const [k, v] of Object.entries(filterQuery(f))) params.set(k, String(v));
  const url = `/api/sessions/export?${params.toString()}`;
  const get = (token: string | null) => fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {}, credentials: 'same-origin' });
  let res = await get(session.accessToken);
  if (res.status === 401) {
    const token = await session.refresh();
    res = await get(token);
  }
  if (!res.ok) {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      /* not JSON */
    }
    throw toApiError(body, res);
  }
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? 'sessions.csv';
  let blob: Blob;
  if (res.body && onProgress) {
    const reader = res.body.getReader();
    const chunks: BlobPart[] = [];
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value as BlobPart);
      n += value.byteLength;
      onProgress(n);
    }
    blob = new Blob(chunks, { type: 'text/csv' });
  } else {
    blob = await res.blob();
  }
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return name;
}
