/** Alert payloads pushed on the `alerts` topic (backend strategy/alerts.py). */
export interface AlertPayload {
  kind: string;
  level: string;
  message: string;
  data?: Record<string, unknown>;
}

export function parseAlert(data: unknown): AlertPayload | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as Record<string, unknown>;
  if (typeof d.kind !== 'string' || typeof d.message !== 'string') return null;
  return {
    kind: d.kind,
    level: typeof d.level === 'string' ? d.level : 'info',
    message: d.message,
    data: typeof d.data === 'object' && d.data !== null ? (d.data as Record<string, unknown>) : undefined,
  };
}

const TITLES: Record<string, string> = {
  entry: 'Entered',
  exit: 'Exited',
  stop_moved: 'Trailing stop moved',
  error: 'Strategy error',
  entry_failed: 'Entry failed',
  kill_switch: 'Kill switch engaged',
  rearmed: 'Engine re-armed',
  circuit_breaker: 'Circuit breaker tripped',
  recovery: 'Recovered after restart',
  exchange: 'Delta Exchange',
};

/** Title and colour of the toast for an alert. */
export function alertToast(a: AlertPayload): { title: string; color: string; autoClose: number | false } {
  const title = TITLES[a.kind] ?? a.kind.replace(/_/g, ' ');
  const reason = a.kind === 'exit' && typeof a.data?.reason === 'string' ? ` · ${a.data.reason.replace(/_/g, ' ')}` : '';
  if (a.level === 'error') return { title: title + reason, color: 'red', autoClose: false };
  if (a.level === 'warning') return { title: title + reason, color: 'yellow', autoClose: 10_000 };
  if (a.kind === 'entry') return { title, color: 'teal', autoClose: 6000 };
  return { title: title + reason, color: 'blue', autoClose: 6000 };
}
