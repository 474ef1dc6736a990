/**
 * Live tail buffer logic (pure). New rows arrive newest-last from the server; the list shows
 * newest first. While the user is at the top, rows are shown at once; when they have scrolled
 * away, rows wait in `pending` ("N new lines") so the view does not jump, and are shown when
 * they return to the top or click the jump button.
 */

export interface TailRow {
  id: number;
  /** ISO-8601; rows merged from a fetch are ordered by (timestamp, id) like the server's pages. */
  timestamp?: string;
}

export interface TailState<T extends TailRow> {
  /** Rows received live and shown above the fetched pages, newest first. */
  rows: T[];
  /** Received while paused, newest first; not shown yet. */
  pending: T[];
  /** Whether the list is scrolled to (near) the top. */
  atTop: boolean;
  /** The user is reading a row (selected or expanded it): new rows wait like when scrolled away. */
  held: boolean;
}

/** Keep at most this many live rows in memory (the oldest are dropped; the pages still hold them). */
export const MAX_LIVE_ROWS = 50_000;
/** The list counts as "at the top" within this many pixels. */
export const TOP_THRESHOLD_PX = 8;

export function initialTail<T extends TailRow>(): TailState<T> {
  return { rows: [], pending: [], atTop: true, held: false };
}

export function isPaused(s: TailState<TailRow>): boolean {
  return !s.atTop || s.held;
}

function prepend<T extends TailRow>(target: T[], incomingNewestFirst: T[], seen: Set<number>): T[] {
  const fresh = incomingNewestFirst.filter((r) => {
    if (seen.has(r.id)) return false;
    seen.add(r.id);
    return true;
  });
  if (fresh.length === 0) return target;
  const next = [...fresh, ...target];
  return next.length > MAX_LIVE_ROWS ? next.slice(0, MAX_LIVE_ROWS) : next;
}

/** Rows arrived (in server order: oldest first). Duplicates (by id) are ignored. */
export function receive<T extends TailRow>(s: TailState<T>, incoming: T[], known?: ReadonlySet<number>): TailState<T> {
  const seen = new Set<number>(known);
  for (const r of s.rows) seen.add(r.id);
  for (const r of s.pending) seen.add(r.id);
  const newestFirst = [...incoming].reverse();
  if (!isPaused(s)) {
    const rows = prepend(s.rows, newestFirst, seen);
    return rows === s.rows ? s : { ...s, rows };
  }
  const pending = prepend(s.pending, newestFirst, seen);
  return pending === s.pending ? s : { ...s, pending };
}

/** Scroll position changed. Scrolling back to the top resumes and shows what was pending. */
export function setAtTop<T extends TailRow>(s: TailState<T>, atTop: boolean): TailState<T> {
  if (atTop === s.atTop) return s;
  if (!atTop) return { ...s, atTop: false };
  return flush({ ...s, atTop: true, held: false });
}

/** The user selected or expanded a row: hold the list still (new rows go to "N new lines"). */
export function hold<T extends TailRow>(s: TailState<T>): TailState<T> {
  return s.held ? s : { ...s, held: true };
}

/** The user let go of the row they were reading (Escape): resume if at the top. */
export function release<T extends TailRow>(s: TailState<T>): TailState<T> {
  if (!s.held) return s;
  const next = { ...s, held: false };
  return next.atTop ? flush(next) : next;
}

/** "N new lines" clicked: show everything pending (the caller scrolls to the top). */
export function jumpToTop<T extends TailRow>(s: TailState<T>): TailState<T> {
  return flush({ ...s, atTop: true, held: false });
}

function time(r: TailRow): number {
  const t = r.timestamp ? Date.parse(r.timestamp) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** Newest first, like GET /api/logs (ORDER BY timestamp DESC, id DESC). */
export function compareNewestFirst(a: TailRow, b: TailRow): number {
  const byMs = time(b) - time(a);
  if (byMs !== 0) return byMs;
  // same millisecond: the ISO text still orders microseconds (the server writes one format)
  const ta = a.timestamp ?? '';
  const tb = b.timestamp ?? '';
  if (ta !== tb) return ta < tb ? 1 : -1;
  return b.id - a.id;
}

/**
 * Rows fetched over HTTP to fill a gap in the tail (live was off, or the socket lost messages):
 * merged by id (every line once), in server order. They are shown at once, or wait in
 * `pending` while the user is reading.
 */
export function mergeFetched<T extends TailRow>(s: TailState<T>, fetchedNewestFirst: T[], known?: ReadonlySet<number>): TailState<T> {
  const seen = new Set<number>(known);
  for (const r of s.rows) seen.add(r.id);
  for (const r of s.pending) seen.add(r.id);
  const fresh = fetchedNewestFirst.filter((r) => {
    if (seen.has(r.id)) return false;
    seen.add(r.id);
    return true;
  });
  if (fresh.length === 0) return s;
  const cap = (rows: T[]) => (rows.length > MAX_LIVE_ROWS ? rows.slice(0, MAX_LIVE_ROWS) : rows);
  if (!isPaused(s)) return { ...s, rows: cap([...fresh, ...s.rows].sort(compareNewestFirst)) };
  return { ...s, pending: cap([...fresh, ...s.pending].sort(compareNewestFirst)) };
}

function flush<T extends TailRow>(s: TailState<T>): TailState<T> {
  if (s.pending.length === 0) return s;
  const next = [...s.pending, ...s.rows];
  return { ...s, rows: next.length > MAX_LIVE_ROWS ? next.slice(0, MAX_LIVE_ROWS) : next, pending: [] };
}

/** "1 new line" / "12 new lines". */
export function newLinesLabel(n: number): string {
  return `${n.toLocaleString()} new line${n === 1 ? '' : 's'}`;
}
