export const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Local "YYYY-MM-DD HH:mm:ss" (exact, sortable), with ".SSS" when `ms`; `fallback` for null. */
export function formatTimestamp(iso: string | null | undefined, fallback = '—', { ms = false }: { ms?: boolean } = {}): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const text = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return ms ? `${text}.${pad(d.getMilliseconds(), 3)}` : text;
}

/** Full UTC ISO string for tooltips/titles. */
export function utcTitle(iso: string | null | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString()} (UTC)`;
}
