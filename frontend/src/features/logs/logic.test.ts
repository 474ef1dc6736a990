import { afterEach, describe, expect, it, vi } from 'vitest';
import { EMPTY_FILTERS, customWindow, rangeError, syncDraft, type LogFilters } from './filters';
import { createGapCoalescer, fetchGap, type GapPage } from './gapFill';
import { compareNewestFirst, hold, initialTail, isPaused, jumpToTop, mergeFetched, receive, release, setAtTop } from './liveTail';
import { describeLoadError, retryWhileFailing } from './loadError';
import { ApiError } from '../../api/errors';
import { createThrottle } from './throttle';
import { formatLogTime, formatLogTimeShort, utcOffsetLabel } from './time';

const at = (id: number, sec: number) => ({ id, timestamp: new Date(Date.UTC(2026, 1, 1, 12, 0, sec)).toISOString() });
const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

afterEach(() => vi.useRealTimers());

describe('live tail: hold while reading, merge fetched rows', () => {
  it('a held tail queues new rows even at the top; release or the pill shows them', () => {
    let s = receive(initialTail<{ id: number }>(), [{ id: 1 }]);
    s = hold(s);
    expect(isPaused(s)).toBe(true);
    s = receive(s, [{ id: 2 }]);
    expect(ids(s.rows)).toEqual([1]);
    expect(ids(s.pending)).toEqual([2]);
    s = release(s);
    expect(ids(s.rows)).toEqual([2, 1]);
    s = jumpToTop(receive(hold(s), [{ id: 3 }]));
    expect(ids(s.rows)).toEqual([3, 2, 1]);
    expect(s.held).toBe(false);
  });

  it('scrolling back to the top also lets go of a hold', () => {
    let s = hold(setAtTop(initialTail<{ id: number }>(), false));
    s = receive(s, [{ id: 5 }]);
    s = setAtTop(s, true);
    expect(s.held).toBe(false);
    expect(ids(s.rows)).toEqual([5]);
  });

  it('fetched rows merge by id in server order (newest first), never twice', () => {
    let s = receive(initialTail<{ id: number; timestamp: string }>(), [at(10, 10), at(13, 13)]);
    s = mergeFetched(s, [at(13, 13), at(12, 12), at(11, 11), at(10, 10), at(9, 9)], new Set([9]));
    expect(ids(s.rows)).toEqual([13, 12, 11, 10]);
    // while paused they wait in pending, also ordered
    s = mergeFetched(setAtTop(s, false), [at(15, 15), at(14, 14)]);
    expect(ids(s.pending)).toEqual([15, 14]);
    expect(ids(s.rows)).toEqual([13, 12, 11, 10]);
  });

  it('orders by time, then microseconds in the text, then id', () => {
    const a = { id: 1, timestamp: '2026-02-01T12:00:00.123400Z' };
    const b = { id: 2, timestamp: '2026-02-01T12:00:00.123900Z' };
    const c = { id: 3, timestamp: '2026-02-01T12:00:00.123900Z' };
    expect([a, b, c].sort(compareNewestFirst).map((r) => r.id)).toEqual([3, 2, 1]);
  });
});

describe('gap fill', () => {
  const pages = (all: { id: number; timestamp: string }[], size: number) => {
    const newest = [...all].reverse();
    return vi.fn(async (cursor: string | null): Promise<GapPage<{ id: number; timestamp: string }>> => {
      const from = cursor ? Number(cursor) : 0;
      const items = newest.slice(from, from + size);
      return { items, next_cursor: from + size < newest.length ? String(from + size) : null };
    });
  };

  it('fetches down to the boundary, skipping known rows', async () => {
    const all = Array.from({ length: 10 }, (_, i) => at(i + 1, i + 1));
    const fetch = pages(all, 3);
    const result = await fetchGap(fetch, new Set([1, 2, 3, 4, 9, 10]), at(4, 4));
    expect(result).toEqual({ kind: 'filled', rows: [at(8, 8), at(7, 7), at(6, 6), at(5, 5)] });
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it('a hole bigger than maxPages pages is reported (the caller reloads)', async () => {
    const all = Array.from({ length: 20 }, (_, i) => at(i + 1, i + 1));
    expect(await fetchGap(pages(all, 2), new Set([1]), at(1, 1), 3)).toEqual({ kind: 'too-big' });
  });

  it('one fill at a time; requests meanwhile run once afterwards, the wider one winning', async () => {
    const runs: string[] = [];
    let finish: () => void = () => {};
    const run = vi.fn((mode: string) => {
      runs.push(mode);
      return runs.length === 1 ? new Promise<void>((r) => (finish = r)) : Promise.resolve();
    });
    const request = createGapCoalescer(run);
    const first = request('shown');
    void request('shown');
    void request('pages');
    void request('shown');
    finish();
    await first;
    await vi.waitFor(() => expect(runs).toEqual(['shown', 'pages']));
  });
});

describe('filter draft', () => {
  const base: LogFilters = { ...EMPTY_FILTERS, q: 'typed', range: '1h' };

  it('copies what the applied filters changed and keeps unapplied edits', () => {
    const prev = { ...EMPTY_FILTERS, range: '1h' as const };
    const next = { ...prev, levels: ['ERROR' as const] };
    expect(syncDraft(base, prev, next)).toEqual({ ...base, levels: ['ERROR'] });
    // a pivot clears the range: the draft follows
    expect(syncDraft(base, prev, { ...EMPTY_FILTERS, correlation_id: 'c' })).toMatchObject({ q: 'typed', range: null, correlation_id: 'c' });
  });

  it('a reversed range is an error; open or equal ends are fine', () => {
    expect(rangeError('2026-02-01T08:00:00Z', '2026-02-01T07:00:00Z')).toBe('To must not be before From');
    expect(rangeError('2026-02-01T08:00:00Z', '2026-02-01T08:00:00Z')).toBeNull();
    expect(rangeError('2026-02-01T08:00:00Z', '')).toBeNull();
  });

  it('Custom starts on the window on screen', () => {
    const now = Date.parse('2026-02-01T12:00:00Z');
    expect(customWindow({ ...EMPTY_FILTERS, range: '1h' }, now)).toEqual({ start: '2026-02-01T11:00:00.000Z', end: '' });
    expect(customWindow({ ...EMPTY_FILTERS, start: 'a', end: 'b' }, now)).toEqual({ start: 'a', end: 'b' });
  });
});

describe('load errors', () => {
  it('network failures read as "can’t reach the server" and are retried on a timer', () => {
    const p = describeLoadError(new TypeError('Failed to fetch'));
    expect(p.message).toBe('Can’t reach the server — retrying…');
    expect(retryWhileFailing({ status: 'error', error: new TypeError('Failed to fetch') })).toBe(5_000);
    expect(retryWhileFailing({ status: 'error', error: new ApiError({ status: 503, detail: 'x' }) })).toBe(5_000);
    expect(retryWhileFailing({ status: 'error', error: new ApiError({ status: 400, detail: 'bad' }) })).toBe(false);
    expect(retryWhileFailing({ status: 'success', error: null })).toBe(false);
    expect(describeLoadError(new ApiError({ status: 400, detail: 'end: must not be before start' })).message).toBe('end: must not be before start');
  });
});

describe('throttle', () => {
  it('runs at once, then once more at the end of the window', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const t = createThrottle(fn, 1000);
    t.call();
    t.call();
    t.call();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(fn).toHaveBeenCalledTimes(2);
    t.call();
    expect(fn).toHaveBeenCalledTimes(2);
    t.cancel();
    vi.advanceTimersByTime(5000);
    expect(fn).toHaveBeenCalledTimes(2);
  });
});

describe('row times', () => {
  it('show milliseconds (local) and a zone label', () => {
    const iso = '2026-02-01T12:34:56.789123Z';
    const d = new Date(iso);
    expect(formatLogTime(iso)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:56\.789$/);
    expect(formatLogTimeShort(iso)).toBe(formatLogTime(iso).slice(5));
    expect(formatLogTime('nope')).toBe('nope');
    expect(utcOffsetLabel(d)).toMatch(/^UTC([+−]\d\d:\d\d)?$/);
    expect(utcOffsetLabel({ getTimezoneOffset: () => -60 } as Date)).toBe('UTC+01:00');
    expect(utcOffsetLabel({ getTimezoneOffset: () => 330 } as Date)).toBe('UTC−05:30');
  });
});
