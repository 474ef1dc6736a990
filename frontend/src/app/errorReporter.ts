/**
 * Client error reporter: batches window.onerror / unhandledrejection (and explicit calls) and
 * POSTs them to /api/logs/batch with the bearer token, in the shape logs/schemas.py + the batch
 * endpoint accept ({entries: [{timestamp, level, logger, event, message, ...extra}]}; extra
 * fields such as stack/url/user_agent land in the stored payload). Entries are trimmed to stay
 * under the server's per-entry byte limit (one oversized entry would reject the whole batch).
 * A failed POST (404 on an old backend, offline) is dropped. Never throws; never reports its
 * own failures.
 */
import { session } from '../api';

export interface ClientErrorEntry {
  timestamp: string;
  level: 'ERROR' | 'WARNING';
  logger: string;
  event: string;
  message: string;
  stack?: string;
  url: string;
  user_agent: string;
}

const MAX_BATCH = 100; // the server accepts at most 100 entries per batch
/** The server rejects a whole batch (413) if one entry's JSON exceeds 16 384 bytes; stay well under. */
export const MAX_ENTRY_BYTES = 15_000;
const MAX_QUEUE = 500;
const FLUSH_MS = 5000;
const queue: ClientErrorEntry[] = [];
let timer: ReturnType<typeof setTimeout> | null = null;
let installed = false;
let sending = false;

export function reportClientError(error: unknown, event = 'client_error', level: ClientErrorEntry['level'] = 'ERROR'): void {
  const err = error instanceof Error ? error : null;
  const entry: ClientErrorEntry = {
    timestamp: new Date().toISOString(),
    level,
    // the server prefixes the source: stored as logger "frontend.browser"
    logger: 'browser',
    event,
    message: (err ? `${err.name}: ${err.message}` : String(error)).slice(0, 2000),
    url: typeof location !== 'undefined' ? location.pathname : '',
    user_agent: typeof navigator !== 'undefined' ? navigator.userAgent : '',
  };
  if (err?.stack) entry.stack = err.stack.slice(0, 8000);
  fitEntry(entry);
  if (queue.length >= MAX_QUEUE) queue.shift();
  queue.push(entry);
  if (queue.length >= MAX_BATCH) void flushClientErrors();
  else if (timer === null) timer = setTimeout(() => void flushClientErrors(), FLUSH_MS);
}

const encoder = new TextEncoder();
const entryBytes = (e: ClientErrorEntry) => encoder.encode(JSON.stringify(e)).length;

/** Trim stack, then message, until the entry's JSON fits MAX_ENTRY_BYTES (UTF-8). */
export function fitEntry(entry: ClientErrorEntry): ClientErrorEntry {
  while (entry.stack !== undefined && entryBytes(entry) > MAX_ENTRY_BYTES) {
    if (entry.stack.length > 200) entry.stack = entry.stack.slice(0, Math.floor(entry.stack.length / 2));
    else delete entry.stack;
  }
  while (entryBytes(entry) > MAX_ENTRY_BYTES && entry.message.length > 0) entry.message = entry.message.slice(0, Math.floor(entry.message.length / 2));
  if (entryBytes(entry) > MAX_ENTRY_BYTES) entry.user_agent = entry.user_agent.slice(0, 200);
  if (entryBytes(entry) > MAX_ENTRY_BYTES) entry.url = entry.url.slice(0, 200);
  return entry;
}

export async function flushClientErrors(fetchImpl: typeof fetch = globalThis.fetch): Promise<void> {
  if (timer !== null) clearTimeout(timer);
  timer = null;
  if (sending || queue.length === 0) return;
  sending = true;
  const batch = queue.splice(0, MAX_BATCH);
  try {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const token = session.accessToken;
    if (token) headers.Authorization = `Bearer ${token}`;
    const res = await fetchImpl('/api/logs/batch', {
      method: 'POST',
      headers,
      body: JSON.stringify({ entries: batch }),
      keepalive: true,
    });
    // 404: endpoint not there yet -> drop quietly. Other failures: drop too (no retry storms).
    void res;
  } catch {
    /* offline: drop */
  } finally {
    sending = false;
  }
  if (queue.length > 0 && timer === null) timer = setTimeout(() => void flushClientErrors(), FLUSH_MS);
}

export function installErrorReporter(): void {
  if (installed || typeof window === 'undefined') return;
  installed = true;
  window.addEventListener('error', (ev) => reportClientError(ev.error ?? ev.message, 'window_error'));
  window.addEventListener('unhandledrejection', (ev) => reportClientError(ev.reason, 'unhandled_rejection'));
  window.addEventListener('pagehide', () => void flushClientErrors());
}
