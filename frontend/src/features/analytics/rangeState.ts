/**
 * Analytics filters <-> URL query, and the request parameters / query keys built from them.
 *
 * A preset is sent AS A PRESET on every request: the server resolves it against "now", so an
 * auto-refreshing view keeps moving forward. The predecessor resolved the preset once and then
 * re-sent the frozen start/end; here the query key and the params never contain a computed end.
 */

export const PRESETS = ['today', '7d', '30d', '90d', 'ytd', 'all'] as const;
export type Preset = (typeof PRESETS)[number];
export const DEFAULT_PRESET: Preset = '30d';

export const PRESET_LABELS: Record<Preset, string> = {
  today: 'Today',
  '7d': '7D',
  '30d': '30D',
  '90d': '90D',
  ytd: 'YTD',
  all: 'All',
};

export type RangeSelection = { kind: 'preset'; preset: Preset } | { kind: 'custom'; start: string; end: string };

export interface AnalyticsFilters {
  range: RangeSelection;
  /** IANA timezone used for presets and calendar days. */
  tz: string;
  /** Strategy id, or null for all strategies. */
  strategyId: number | null;
  /** Starting capital as typed (decimal string), "" for none. */
  capital: string;
}

export const AUTO_REFRESH_MS = 30_000;

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const CAPITAL_RE = /^\d+(\.\d+)?$/;

export function isPreset(v: string | null | undefined): v is Preset {
  return !!v && (PRESETS as readonly string[]).includes(v);
}

export function isIsoDate(v: string | null | undefined): v is string {
  if (!v || !DATE_RE.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Earliest year a typed custom-range date may have (see isPlausibleDate). */
export const MIN_YEAR = 2000;

/**
 * A complete, real date that the user plausibly meant. A native date input reports every
 * intermediate value while a year is typed digit by digit (2 → 0002-10-31, 20 → 0020-10-31, …),
 * all of them valid ISO dates; requiring year ≥ MIN_YEAR lets only the finished year through.
 */
export function isPlausibleDate(v: string | null | undefined): v is string {
  return isIsoDate(v) && Number(v.slice(0, 4)) >= MIN_YEAR;
}

/** Why one typed date cannot be applied, or null. "" is what a date input reports while incomplete. */
export function dateError(v: string): string | null {
  if (isPlausibleDate(v)) return null;
  if (isIsoDate(v)) return `Year must be ${MIN_YEAR} or later`;
  return 'Enter a complete date';
}

/** Why a typed custom range cannot be applied, per end (the reversal is reported on `edited`). */
export function customRangeErrors(
  start: string,
  end: string,
  edited: 'start' | 'end' = 'start',
): { start: string | null; end: string | null } {
  const errors = { start: dateError(start), end: dateError(end) };
  if (!errors.start && !errors.end && start > end) errors[edited] = 'From must be on or before To';
  return errors;
}

/** Non-negative decimal as typed in the capital box ("" = none). */
export function isValidCapital(v: string): boolean {
  return v === '' || CAPITAL_RE.test(v.trim());
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function isValidTimeZone(tz: string | null | undefined): tz is string {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Read the filters from a URL query; anything invalid falls back to its default. */
export function filtersFromSearch(search: URLSearchParams, defaultTz = browserTimeZone()): AnalyticsFilters {
  const start = search.get('start');
  const end = search.get('end');
  const preset = search.get('preset');
  let range: RangeSelection;
  if (isIsoDate(start) && isIsoDate(end) && !search.has('preset')) {
    range = start <= end ? { kind: 'custom', start, end } : { kind: 'custom', start: end, end: start };
  } else {
    range = { kind: 'preset', preset: isPreset(preset) ? preset : DEFAULT_PRESET };
  }
  const tzRaw = search.get('tz');
  const tz = isValidTimeZone(tzRaw) ? tzRaw : defaultTz;
  const sidRaw = search.get('strategy');
  const sid = sidRaw !== null && /^\d+$/.test(sidRaw) ? Number(sidRaw) : null;
  const capRaw = (search.get('capital') ?? '').trim();
  const capital = capRaw && isValidCapital(capRaw) ? capRaw : '';
  return { range, tz, strategyId: sid, capital };
}

/** Write the filters to a URL query; defaults are omitted so shared links stay short. */
export function filtersToSearch(f: AnalyticsFilters, defaultTz = browserTimeZone()): URLSearchParams {
  const out = new URLSearchParams();
  if (f.range.kind === 'preset') {
    if (f.range.preset !== DEFAULT_PRESET) out.set('preset', f.range.preset);
  } else {
    out.set('start', f.range.start);
    out.set('end', f.range.end);
  }
  if (f.tz !== defaultTz) out.set('tz', f.tz);
  if (f.strategyId !== null) out.set('strategy', String(f.strategyId));
  if (f.capital) out.set('capital', f.capital);
  return out;
}

/** The query parameters of /api/analytics/{summary,history,export}. */
export interface AnalyticsQuery {
  preset?: Preset;
  start?: string;
  end?: string;
  tz: string;
  strategy_id?: number;
  starting_capital?: string;
}

/** Request params: a preset stays a preset (never a resolved start/end). */
export function toApiQuery(f: AnalyticsFilters): AnalyticsQuery {
  const q: AnalyticsQuery = { tz: f.tz };
  if (f.range.kind === 'preset') q.preset = f.range.preset;
  else {
    q.start = f.range.start;
    q.end = f.range.end; // a date-only end is inclusive on the server
  }
  if (f.strategyId !== null) q.strategy_id = f.strategyId;
  if (f.capital) q.starting_capital = f.capital;
  return q;
}

export const analyticsKeys = {
  all: ['analytics'] as const,
  summary: (q: AnalyticsQuery) => ['analytics', 'summary', q] as const,
  history: (q: AnalyticsQuery) => ['analytics', 'history', q] as const,
};

/** "HH:MM:SS" (24 h) of an epoch-ms instant in `tz`. */
export function clockTime(ms: number, tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(ms));
  } catch {
    return new Date(ms).toISOString().slice(11, 19);
  }
}

/** "YYYY-MM-DD" of an instant in `tz` (for the date inputs' defaults). */
export function localDate(ms: number, tz: string): string {
  try {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(
      new Date(ms),
    );
    const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')}`;
  } catch {
    return new Date(ms).toISOString().slice(0, 10);
  }
}

/** "YYYY-MM-DD HH:MM" of an ISO instant in `tz`. */
export function formatInTz(iso: string | null | undefined, tz: string, fallback = '—'): string {
  if (!iso) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${localDate(d.getTime(), tz)} ${clockTime(d.getTime(), tz).slice(0, 5)}`;
}

/** Offset of `tz` from UTC at instant `ms`, in seconds (for charts, which draw UTC). */
export function tzOffsetSeconds(ms: number, tz: string): number {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(ms));
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? '0');
    const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
    return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 1000);
  } catch {
    return 0;
  }
}

/** Every IANA zone the browser knows (with UTC first), or a short fallback list. */
export function timeZoneOptions(current: string): string[] {
  let zones: string[];
  try {
    const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
    zones = intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    zones = [];
  }
  if (zones.length === 0) zones = ['Asia/Kolkata', 'Europe/London', 'America/New_York', 'Asia/Singapore', 'Asia/Tokyo'];
  const set = new Set(['UTC', current, browserTimeZone(), ...zones]);
  return [...set];
}
