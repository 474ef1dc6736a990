/** Test helpers for the Log Viewer: log rows and a fake /api/logs + /api/logs/summary server. */
import { jsonResponse, stubApi } from '../../test/utils';
import type { LogEntry, LogSummary } from './api';

const BASE = Date.parse('2026-02-01T12:00:00Z');

/** Row `id` written `id` seconds after a fixed base (ids and times grow together). */
export function entry(id: number, over: Partial<LogEntry> = {}): LogEntry {
  return {
    id,
    timestamp: new Date(BASE + id * 1000).toISOString(),
    level: 'INFO',
    logger: 'deltaplane.test',
    event: 'tick',
    message: `line ${id}`,
    source: 'backend',
    payload: {},
    ingested_at: new Date(BASE + id * 1000).toISOString(),
    correlation_id: null,
    request_id: null,
    strategy_id: null,
    session_id: null,
    ...over,
  };
}

export function summaryOf(rows: LogEntry[], over: Partial<LogSummary> = {}): LogSummary {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.level] = (counts[r.level] ?? 0) + 1;
  return {
    counts_by_level: counts,
    ingestion: { enabled: true, running: true, lag_bytes: 0, lag_seconds: 0, lines_per_second: 12, last_error: null } as LogSummary['ingestion'],
    latest_error: [...rows].reverse().find((r) => r.level === 'ERROR') ?? null,
    latest_warning: null,
    top_events: [],
    top_loggers: [],
    total: rows.length,
    ...over,
  };
}

export interface FakeLogServer {
  /** Every stored row, oldest first (push to "write" lines). */
  rows: LogEntry[];
  /** When set, every request fails like a server that is down. */
  down: boolean;
  urls: URL[];
  /** How many GET /api/logs/summary were answered. */
  summaryCalls: () => number;
  listCalls: () => number;
}

/** Pages newest first; `cursor` is the id to continue below. `limit` is honoured. */
export function fakeLogServer(initial: LogEntry[], opts: { summary?: (rows: LogEntry[]) => LogSummary } = {}): FakeLogServer {
  const server: FakeLogServer = {
    rows: [...initial],
    down: false,
    urls: [],
    summaryCalls: () => server.urls.filter((u) => u.pathname === '/api/logs/summary').length,
    listCalls: () => server.urls.filter((u) => u.pathname === '/api/logs').length,
  };
  const fail = () => {
    throw new TypeError('Failed to fetch');
  };
  const urls = stubApi({
    '/api/logs': (url: URL) => {
      if (server.down) fail();
      const limit = Number(url.searchParams.get('limit') ?? 500);
      const below = url.searchParams.get('cursor');
      const newestFirst = [...server.rows].reverse().filter((r) => (below ? r.id < Number(below) : true));
      const items = newestFirst.slice(0, limit);
      const more = newestFirst.length > limit;
      return jsonResponse(200, { items, limit, next_cursor: more ? String(items[items.length - 1]!.id) : null });
    },
    '/api/logs/summary': () => {
      if (server.down) fail();
      return jsonResponse(200, (opts.summary ?? summaryOf)(server.rows));
    },
  });
  server.urls = urls;
  return server;
}

/**
 * jsdom has no layout: give the list's scroll element a size so the virtualizer renders rows.
 * Returns the restore function.
 */
export function sizeLogList(height = 800, width = 1000): () => void {
  const proto = HTMLElement.prototype;
  const saved = {
    h: Object.getOwnPropertyDescriptor(proto, 'clientHeight'),
    w: Object.getOwnPropertyDescriptor(proto, 'clientWidth'),
  };
  const isList = (el: HTMLElement) => el.dataset?.testid === 'log-list';
  Object.defineProperty(proto, 'clientHeight', { configurable: true, get(this: HTMLElement) { return isList(this) ? height : 0; } });
  Object.defineProperty(proto, 'clientWidth', { configurable: true, get(this: HTMLElement) { return isList(this) ? width : 0; } });
  return () => {
    if (saved.h) Object.defineProperty(proto, 'clientHeight', saved.h);
    if (saved.w) Object.defineProperty(proto, 'clientWidth', saved.w);
  };
}
