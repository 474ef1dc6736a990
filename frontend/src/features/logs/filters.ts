/**
 * Log Viewer filter state <-> URL search params <-> API query.
 *
 * Every filter lives in the URL (shareable views). Quick ranges are kept relative (`range=1h`)
 * and resolved to an absolute `start` when the view is (re)loaded; a custom range uses
 * `start`/`end` (ISO-8601). Levels are normalised: WARN is WARNING, FATAL is CRITICAL.
 */

export const LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL', 'RAW'] as const;
export type Level = (typeof LEVELS)[number];

export const QUICK_RANGES = { '15m': 15 * 60_000, '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000 } as const;
export type QuickRange = keyof typeof QUICK_RANGES;

export const ID_FIELDS = ['correlation_id', 'request_id', 'strategy_id', 'session_id'] as const;
export type IdField = (typeof ID_FIELDS)[number];

/** Text filters, in URL order. `logger` is a case-insensitive substring (logger_contains). */
export const TEXT_FIELDS = ['logger', 'event', ...ID_FIELDS, 'q'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

export interface LogFilters {
  levels: Level[];
  logger: string;
  event: string;
  correlation_id: string;
  request_id: string;
  strategy_id: string;
  session_id: string;
  q: string;
  range: QuickRange | null;
  start: string;
  end: string;
}

export const EMPTY_FILTERS: LogFilters = {
  levels: [],
  logger: '',
  event: '',
  correlation_id: '',
  request_id: '',
  strategy_id: '',
  session_id: '',
  q: '',
  range: null,
  start: '',
  end: '',
};

const ALIASES: Record<string, Level> = { WARN: 'WARNING', FATAL: 'CRITICAL', ERR: 'ERROR', CRIT: 'CRITICAL' };

/** Upper-case, trim and map aliases (WARN -> WARNING); null for anything unknown. */
export function normaliseLevel(raw: string | null | undefined): Level | null {
  if (!raw) return null;
  const up = raw.trim().toUpperCase();
  const name = ALIASES[up] ?? up;
  return (LEVELS as readonly string[]).includes(name) ? (name as Level) : null;
}

/** Level for display of a row (unknown levels shown as-is but coloured like RAW). */
export function displayLevel(raw: string): Level {
  return normaliseLevel(raw) ?? 'RAW';
}

function isQuickRange(v: string | null): v is QuickRange {
  return v !== null && Object.prototype.hasOwnProperty.call(QUICK_RANGES, v);
}

function validIso(v: string | null): string {
  if (!v) return '';
  return Number.isNaN(new Date(v).getTime()) ? '' : v;
}

/** Parse URL search params (tolerant: unknown levels/ranges and bad dates are dropped). */
export function filtersFromSearch(params: URLSearchParams): LogFilters {
  const levels: Level[] = [];
  for (const raw of params.getAll('level')) {
    for (const part of raw.split(',')) {
      const lv = normaliseLevel(part);
      if (lv && !levels.includes(lv)) levels.push(lv);
    }
  }
  levels.sort((a, b) => LEVELS.indexOf(a) - LEVELS.indexOf(b));
  const out: LogFilters = { ...EMPTY_FILTERS, levels };
  for (const key of TEXT_FIELDS) out[key] = (params.get(key) ?? '').trim();
  const range = params.get('range');
  if (isQuickRange(range)) out.range = range;
  else {
    out.start = validIso(params.get('start'));
    out.end = validIso(params.get('end'));
  }
  return out;
}

/** Serialise to URL search params (only non-empty filters; stable order). */
export function filtersToSearch(f: LogFilters): URLSearchParams {
  const p = new URLSearchParams();
  for (const lv of LEVELS) if (f.levels.includes(lv)) p.append('level', lv);
  for (const key of TEXT_FIELDS) {
    const v = f[key].trim();
    if (v) p.set(key, v);
  }
  if (f.range) p.set('range', f.range);
  else {
    if (f.start) p.set('start', f.start);
    if (f.end) p.set('end', f.end);
  }
  return p;
}

export function hasAnyFilter(f: LogFilters): boolean {
  return filtersToSearch(f).toString() !== '';
}

/** Only one ID set, everything else cleared (the "pivot" on a clicked ID). */
export function pivotFilters(field: IdField, value: string): LogFilters {
  return { ...EMPTY_FILTERS, [field]: value };
}

export interface LogsQuery {
  level?: string[];
  logger_contains?: string;
  event?: string;
  correlation_id?: string;
  request_id?: string;
  strategy_id?: string;
  session_id?: string;
  q?: string;
  start?: string;
  end?: string;
}

/** The API query (GET /api/logs, /summary, /export). Relative ranges resolve against `now`. */
export function toApiQuery(f: LogFilters, now: number = Date.now()): LogsQuery {
  const q: LogsQuery = {};
  if (f.levels.length) q.level = [...f.levels];
  if (f.logger.trim()) q.logger_contains = f.logger.trim();
  for (const key of ['event', ...ID_FIELDS, 'q'] as const) {
    const v = f[key].trim();
    if (v) q[key] = v;
  }
  if (f.range) q.start = new Date(now - QUICK_RANGES[f.range]).toISOString();
  else {
    if (f.start) q.start = new Date(f.start).toISOString();
    if (f.end) q.end = new Date(f.end).toISOString();
  }
  return q;
}

/**
 * The live-tail subscription filter (same names as the HTTP API). Time bounds are not sent:
 * new lines are always "now". Null when the view ends in the past (nothing new can match).
 */
export function toLiveFilter(f: LogFilters, now: number = Date.now()): Record<string, unknown> | null {
  if (!f.range && f.end && new Date(f.end).getTime() <= now) return null;
  const { start: _s, end: _e, ...rest } = toApiQuery(f, now);
  void _s;
  void _e;
  return rest;
}

function sameValue(a: unknown, b: unknown): boolean {
  return Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, i) => v === b[i]) : a === b;
}

/**
 * The applied filters changed (Apply, a chip, a pivot, Back/Forward): copy what changed into the
 * draft and keep the user's unapplied edits in the other fields.
 */
export function syncDraft(draft: LogFilters, prev: LogFilters, next: LogFilters): LogFilters {
  let out = draft;
  for (const key of Object.keys(next) as (keyof LogFilters)[]) {
    if (!sameValue(prev[key], next[key]) && !sameValue(out[key], next[key])) out = { ...out, [key]: next[key] };
  }
  return out;
}

/** Whether two filter sets mean the same view. */
export function sameFilters(a: LogFilters, b: LogFilters): boolean {
  return filtersToSearch(a).toString() === filtersToSearch(b).toString();
}

/** Inline message for a custom range whose To is before its From (null when fine). */
export function rangeError(start: string, end: string): string | null {
  if (!start || !end) return null;
  const s = new Date(start).getTime();
  const e = new Date(end).getTime();
  if (Number.isNaN(s) || Number.isNaN(e)) return null;
  return e < s ? 'To must not be before From' : null;
}

/**
 * What the Custom From/To fields start with: the window on screen. A quick range is "the last
 * 1h up to now" → From = now − 1h and To left empty (open-ended, so live tail keeps working).
 */
export function customWindow(f: LogFilters, now: number = Date.now()): { start: string; end: string } {
  if (f.range) return { start: new Date(now - QUICK_RANGES[f.range]).toISOString(), end: '' };
  return { start: f.start, end: f.end };
}
