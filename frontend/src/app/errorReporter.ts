/**
 * Client error reporter: batches window.onerror / unhandledrejection (and explicit calls) and
 * POSTs them to /api/logs/batch with the bearer token. The endpoint is not implemented server
 * side yet, so a 404 is ignored silently. Never throws; never reports its own failures.
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
    logger: 'frontend',
    event,
    message: (err ? `${err.name}: ${err.message}` : String(error)).slice(0, 2000),
    url: typeof location !== 'undefined' ? location.pathname : '',
    user_agent: typeof navigator !== 'undefined' ? navigator.userAgent : '',
  };
  if (err?.stack) entry.stack = err.stack.slice(0, 8000);
  if (queue.length >= MAX_QUEUE) queue.shift();
  queue.push(entry);
  if (queue.length >= MAX_BATCH) void flushClientErrors();
  else if (timer === null) timer = setTimeout(() => void flushClientErrors(), FLUSH_MS);
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
