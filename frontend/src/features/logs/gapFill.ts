/**
 * Filling a hole in the live tail over HTTP (pure; the fetch is passed in).
 *
 * The socket only brings lines written while the tail is subscribed. When it was off (the user
 * turned Live off and on) or the hub could not replay what a reconnect missed (`resync`), the
 * newest pages are fetched down to `boundary` (the newest line the list is known to be complete
 * up to); rows the list already has are skipped, the rest are merged by the caller. If the hole
 * is bigger than `maxPages` pages the caller starts the view over instead.
 */
import { compareNewestFirst, type TailRow } from './liveTail';

export interface GapPage<T> {
  items: T[];
  next_cursor?: string | null;
}

export type GapResult<T> = { kind: 'filled'; rows: T[] } | { kind: 'too-big' };

export const GAP_MAX_PAGES = 4;

export async function fetchGap<T extends TailRow>(
  fetchPage: (cursor: string | null) => Promise<GapPage<T>>,
  known: ReadonlySet<number>,
  boundary: TailRow | null,
  maxPages: number = GAP_MAX_PAGES,
): Promise<GapResult<T>> {
  const rows: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i += 1) {
    const page = await fetchPage(cursor);
    for (const r of page.items) {
      if (boundary && compareNewestFirst(r, boundary) >= 0) return { kind: 'filled', rows }; // reached the boundary: no hole left
      if (!known.has(r.id)) rows.push(r);
    }
    if (!page.next_cursor) return { kind: 'filled', rows }; // nothing older exists
    cursor = page.next_cursor;
  }
  return { kind: 'too-big' };
}

export type GapMode = 'shown' | 'pages';

/**
 * One fill at a time: a request while one runs is remembered and run once afterwards ('pages',
 * the wider check, wins over 'shown').
 */
export function createGapCoalescer(run: (mode: GapMode) => Promise<void>): (mode: GapMode) => Promise<void> {
  let running = false;
  let again: GapMode | null = null;
  const request = async (mode: GapMode): Promise<void> => {
    if (running) {
      again = again === 'pages' || mode === 'pages' ? 'pages' : 'shown';
      return;
    }
    running = true;
    try {
      await run(mode);
    } finally {
      running = false;
      const next = again;
      again = null;
      if (next !== null) void request(next);
    }
  };
  return request;
}
