import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  analyticsKeys,
  clockTime,
  DEFAULT_PRESET,
  filtersFromSearch,
  filtersToSearch,
  localDate,
  toApiQuery,
  tzOffsetSeconds,
  type AnalyticsFilters,
} from './rangeState';

const TZ = 'Asia/Kolkata';
const read = (q: string) => filtersFromSearch(new URLSearchParams(q), TZ);
const write = (f: AnalyticsFilters) => filtersToSearch(f, TZ).toString();

describe('filters <-> URL query', () => {
  it('defaults: 30d preset, the browser timezone, all strategies, no capital', () => {
    expect(read('')).toEqual({ range: { kind: 'preset', preset: DEFAULT_PRESET }, tz: TZ, strategyId: null, capital: '' });
    expect(write(read(''))).toBe('');
  });

  it('round-trips presets, timezone, strategy and capital', () => {
    const f = read('preset=ytd&tz=Europe%2FLondon&strategy=7&capital=10000.50');
    expect(f).toEqual({ range: { kind: 'preset', preset: 'ytd' }, tz: 'Europe/London', strategyId: 7, capital: '10000.50' });
    expect(read(write(f))).toEqual(f);
  });

  it('round-trips a custom range and swaps reversed dates', () => {
    const f = read('start=2025-01-01&end=2025-01-31');
    expect(f.range).toEqual({ kind: 'custom', start: '2025-01-01', end: '2025-01-31' });
    expect(write(f)).toBe('start=2025-01-01&end=2025-01-31');
    expect(read('start=2025-02-01&end=2025-01-01').range).toEqual({ kind: 'custom', start: '2025-01-01', end: '2025-02-01' });
  });

  it('ignores invalid values instead of sending them', () => {
    const f = read('preset=1y&tz=Mars%2FOlympus&strategy=abc&capital=-5');
    expect(f).toEqual({ range: { kind: 'preset', preset: '30d' }, tz: TZ, strategyId: null, capital: '' });
    expect(read('start=2025-02-30&end=2025-03-01').range).toEqual({ kind: 'preset', preset: '30d' });
    expect(read('start=2025-01-01').range).toEqual({ kind: 'preset', preset: '30d' });
  });

  it('a preset in the URL wins over stray start/end (never both)', () => {
    expect(read('preset=7d&start=2025-01-01&end=2025-01-02').range).toEqual({ kind: 'preset', preset: '7d' });
  });
});

describe('request params and the "preset keeps moving" rule', () => {
  afterEach(() => vi.useRealTimers());

  it('a preset is sent as a preset: no start, no end', () => {
    const q = toApiQuery(read('preset=7d&strategy=3&capital=5000'));
    expect(q).toEqual({ preset: '7d', tz: TZ, strategy_id: 3, starting_capital: '5000' });
    expect(q).not.toHaveProperty('start');
    expect(q).not.toHaveProperty('end');
  });

  it('the query key of a preset does not depend on the clock (the server resolves "now")', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-06-01T10:00:00Z'));
    const first = analyticsKeys.summary(toApiQuery(read('preset=today')));
    vi.setSystemTime(new Date('2025-06-02T23:59:30Z')); // a day and a half later
    const later = analyticsKeys.summary(toApiQuery(read('preset=today')));
    expect(later).toEqual(first);
    expect(JSON.stringify(first)).not.toMatch(/2025-06/);
    expect(first).toEqual(['analytics', 'summary', { preset: 'today', tz: TZ }]);
  });

  it('a custom range sends its dates (a date-only end is inclusive on the server)', () => {
    expect(toApiQuery(read('start=2025-01-01&end=2025-01-31'))).toEqual({ start: '2025-01-01', end: '2025-01-31', tz: TZ });
  });
});

describe('time helpers', () => {
  it('clock and dates in a timezone', () => {
    const ms = Date.parse('2025-01-01T20:00:05Z');
    expect(clockTime(ms, 'UTC')).toBe('20:00:05');
    expect(clockTime(ms, TZ)).toBe('01:30:05');
    expect(localDate(ms, TZ)).toBe('2025-01-02');
    expect(tzOffsetSeconds(ms, TZ)).toBe(19800);
    expect(tzOffsetSeconds(ms, 'UTC')).toBe(0);
    expect(tzOffsetSeconds(Date.parse('2025-07-01T12:00:00Z'), 'Europe/London')).toBe(3600);
  });
});
