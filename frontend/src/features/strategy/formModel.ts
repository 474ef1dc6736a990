/**
 * The strategy editor's form model: string-valued inputs ↔ the StrategyConfig wire shape, light
 * client-side hints, and the mapping of the server's 422 `fields` onto inputs. The server is
 * the authority; hints only catch the obvious before a round trip.
 */
import { asApiError } from '../../api/errors';
import type { StrategyConfig, Weekday } from './types';

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export interface TrailingRow {
  key: number;
  trigger_pct: string;
  lock_pct: string;
}

export interface FormValues {
  name: string;
  underlying: StrategyConfig['underlying'];
  mode: StrategyConfig['mode'];
  expiry_rule: StrategyConfig['expiry_rule'];
  expiry_date: string;
  expiry_offset_days: string;
  strike_mode: StrategyConfig['strike_mode'];
  delta_pick: StrategyConfig['delta_pick'];
  delta_low: string;
  delta_high: string;
  premium_low: string;
  premium_high: string;
  distance_pct: string;
  quantity: string;
  entry_time: string;
  entry_window_minutes: string;
  exit_time: string;
  timezone: string;
  max_loss_pct: string;
  take_profit_pct: string;
  leg_stop_loss_pct: string;
  trailing_rules: TrailingRow[];
  reentries: string;
  schedule_days: Weekday[];
  expiry_approach_minutes: string;
  daily_loss_limit_usd: string;
  limit_attempts: string;
  attempt_timeout_s: string;
  max_slippage_pct: string;
  market_fallback: boolean;
  on_leg_failure: StrategyConfig['on_leg_failure'];
}

/** Form keys whose server path differs from the key (execution.* live in a nested object). */
export const FIELD_PATH: Partial<Record<keyof FormValues, string>> = {
  limit_attempts: 'execution.limit_attempts',
  attempt_timeout_s: 'execution.attempt_timeout_s',
  max_slippage_pct: 'execution.max_slippage_pct',
  market_fallback: 'execution.market_fallback',
};

export function pathOf(key: keyof FormValues): string {
  return FIELD_PATH[key] ?? key;
}

let rowKey = 0;
export const nextRowKey = () => ++rowKey;

/** Defaults mirror backend strategy/config.py (the server fills the same on omission). */
export function defaultValues(): FormValues {
  return {
    name: '',
    underlying: 'BTC',
    mode: 'paper',
    expiry_rule: 'next',
    expiry_date: '',
    expiry_offset_days: '',
    strike_mode: 'delta',
    delta_pick: 'band_centre',
    delta_low: '0.10',
    delta_high: '0.15',
    premium_low: '',
    premium_high: '',
    distance_pct: '',
    quantity: '1',
    entry_time: '09:30',
    entry_window_minutes: '5',
    exit_time: '15:30',
    timezone: 'Asia/Kolkata',
    max_loss_pct: '50',
    take_profit_pct: '60',
    leg_stop_loss_pct: '',
    trailing_rules: [
      ['20', '0'],
      ['30', '10'],
      ['40', '15'],
      ['50', '25'],
    ].map(([t, l]) => ({ key: nextRowKey(), trigger_pct: t!, lock_pct: l! })),
    reentries: '0',
    schedule_days: [...WEEKDAYS],
    expiry_approach_minutes: '30',
    daily_loss_limit_usd: '',
    limit_attempts: '3',
    attempt_timeout_s: '5',
    max_slippage_pct: '5',
    market_fallback: true,
    on_leg_failure: 'unwind',
  };
}

const str = (v: unknown, fallback = ''): string => (v === null || v === undefined ? fallback : String(v));

/** A saved config (StrategyRead.config / a version's config) → form values. */
export function fromConfig(config: Record<string, unknown>): FormValues {
  const d = defaultValues();
  const c = config as Partial<StrategyConfig> & Record<string, unknown>;
  const ex = (c.execution ?? {}) as Record<string, unknown>;
  const rules = Array.isArray(c.trailing_rules) ? c.trailing_rules : null;
  return {
    name: str(c.name),
    underlying: c.underlying ?? d.underlying,
    mode: c.mode ?? d.mode,
    expiry_rule: c.expiry_rule ?? d.expiry_rule,
    expiry_date: str(c.expiry_date),
    expiry_offset_days: str(c.expiry_offset_days),
    strike_mode: c.strike_mode ?? d.strike_mode,
    delta_pick: c.delta_pick ?? d.delta_pick,
    delta_low: str(c.delta_low, d.delta_low),
    delta_high: str(c.delta_high, d.delta_high),
    premium_low: str(c.premium_low),
    premium_high: str(c.premium_high),
    distance_pct: str(c.distance_pct),
    quantity: str(c.quantity, d.quantity),
    entry_time: str(c.entry_time, d.entry_time),
    entry_window_minutes: str(c.entry_window_minutes, d.entry_window_minutes),
    exit_time: str(c.exit_time, d.exit_time),
    timezone: str(c.timezone, d.timezone),
    max_loss_pct: str(c.max_loss_pct, d.max_loss_pct),
    take_profit_pct: str(c.take_profit_pct, d.take_profit_pct),
    leg_stop_loss_pct: str(c.leg_stop_loss_pct),
    trailing_rules: rules
      ? rules.map((r) => ({ key: nextRowKey(), trigger_pct: str(r.trigger_pct), lock_pct: str(r.lock_pct) }))
      : d.trailing_rules,
    reentries: str(c.reentries, d.reentries),
    schedule_days: Array.isArray(c.schedule_days) ? [...c.schedule_days] : d.schedule_days,
    expiry_approach_minutes: str(c.expiry_approach_minutes, d.expiry_approach_minutes),
    daily_loss_limit_usd: str(c.daily_loss_limit_usd),
    limit_attempts: str(ex.limit_attempts, d.limit_attempts),
    attempt_timeout_s: str(ex.attempt_timeout_s, d.attempt_timeout_s),
    max_slippage_pct: str(ex.max_slippage_pct, d.max_slippage_pct),
    market_fallback: typeof ex.market_fallback === 'boolean' ? ex.market_fallback : d.market_fallback,
    on_leg_failure: c.on_leg_failure ?? d.on_leg_failure,
  };
}

const dec = (v: string): string => v.trim();
const optDec = (v: string): string | null => (v.trim() === '' ? null : v.trim());
/** Integers go as numbers; a non-integer is sent verbatim so the server names the field. */
const int = (v: string): number => (/^-?\d+$/.test(v.trim()) ? Number(v.trim()) : (v.trim() as unknown as number));
const optInt = (v: string): number | null => (v.trim() === '' ? null : int(v));
const float = (v: string): number => {
  const n = Number(v.trim());
  return v.trim() !== '' && Number.isFinite(n) ? n : (v.trim() as unknown as number);
};

/** Form values → the JSON body of POST/PUT /api/strategies and POST /api/strategies/preview. */
export function toConfig(v: FormValues): StrategyConfig {
  return {
    name: v.name.trim(),
    underlying: v.underlying,
    mode: v.mode,
    expiry_rule: v.expiry_rule,
    expiry_date: v.expiry_rule === 'date' ? optDec(v.expiry_date) : null,
    expiry_offset_days: v.expiry_rule === 'offset_days' ? optInt(v.expiry_offset_days) : null,
    strike_mode: v.strike_mode,
    delta_pick: v.delta_pick,
    delta_low: dec(v.delta_low),
    delta_high: dec(v.delta_high),
    premium_low: optDec(v.premium_low),
    premium_high: optDec(v.premium_high),
    distance_pct: optDec(v.distance_pct),
    quantity: int(v.quantity),
    entry_time: v.entry_time.trim(),
    entry_window_minutes: int(v.entry_window_minutes),
    exit_time: v.exit_time.trim(),
    timezone: v.timezone.trim(),
    max_loss_pct: dec(v.max_loss_pct),
    take_profit_pct: dec(v.take_profit_pct),
    leg_stop_loss_pct: optDec(v.leg_stop_loss_pct),
    trailing_rules: v.trailing_rules.map((r) => ({ trigger_pct: dec(r.trigger_pct), lock_pct: dec(r.lock_pct) })),
    reentries: int(v.reentries),
    schedule_days: WEEKDAYS.filter((d) => v.schedule_days.includes(d)),
    expiry_approach_minutes: int(v.expiry_approach_minutes),
    daily_loss_limit_usd: optDec(v.daily_loss_limit_usd),
    execution: {
      limit_attempts: int(v.limit_attempts),
      attempt_timeout_s: float(v.attempt_timeout_s),
      max_slippage_pct: dec(v.max_slippage_pct),
      market_fallback: v.market_fallback,
    },
    on_leg_failure: v.on_leg_failure,
  } as StrategyConfig;
}

/** Field path → message. The key `$` holds problems that name no field. */
export type FieldErrors = Record<string, string>;

/**
 * Map a server error to field messages. Uses the envelope's `fields` (422 with one or many
 * problems, 409 name clashes); a bare 4xx whose detail starts with "<field>: " is mapped too.
 */
export function mapServerErrors(err: unknown, known?: ReadonlySet<string>): FieldErrors {
  const e = asApiError(err);
  const out: FieldErrors = {};
  const add = (field: string, raw: string) => {
    const message = raw.split(' - at `')[0]!;
    const path = field.replace(/^\$\.?/, '') || '$';
    const target = known && !known.has(path) && !isRulePath(path) ? '$' : path;
    const text = target === '$' && path !== '$' ? `${path}: ${message}` : message;
    out[target] = out[target] ? `${out[target]}; ${text}` : text;
  };
  for (const f of e.fields) add(f.field, f.message);
  if (e.fields.length === 0) {
    const m = /^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?): (.+)$/s.exec(e.detail);
    if (m && (!known || known.has(m[1]!) || isRulePath(m[1]!))) add(m[1]!, m[2]!);
    else out.$ = e.detail;
  }
  return out;
}

function isRulePath(path: string): boolean {
  return /^trailing_rules(\[\d+\](\.(trigger_pct|lock_pct))?)?$/.test(path);
}

/** Every server path the form can show a message next to. */
export const KNOWN_PATHS: ReadonlySet<string> = new Set(
  (Object.keys(defaultValues()) as (keyof FormValues)[]).map(pathOf).concat(['execution']),
);

/** Quick client-side hints (required, numeric, HH:MM, orderings). The server decides. */
export function clientHints(v: FormValues): FieldErrors {
  const e: FieldErrors = {};
  const num = (k: keyof FormValues, label = 'a number') => {
    const raw = String(v[k]).trim();
    if (raw === '') e[pathOf(k)] = 'is required';
    else if (!Number.isFinite(Number(raw))) e[pathOf(k)] = `must be ${label}`;
  };
  const optNum = (k: keyof FormValues) => {
    const raw = String(v[k]).trim();
    if (raw !== '' && !Number.isFinite(Number(raw))) e[pathOf(k)] = 'must be a number';
  };
  if (!v.name.trim()) e.name = 'must not be empty';
  for (const k of ['delta_low', 'delta_high', 'max_loss_pct', 'take_profit_pct', 'max_slippage_pct', 'attempt_timeout_s'] as const) num(k);
  for (const k of ['quantity', 'entry_window_minutes', 'reentries', 'expiry_approach_minutes', 'limit_attempts'] as const) {
    const raw = v[k].trim();
    if (raw === '') e[pathOf(k)] = 'is required';
    else if (!/^\d+$/.test(raw)) e[pathOf(k)] = 'must be a whole number';
  }
  for (const k of ['premium_low', 'premium_high', 'distance_pct', 'leg_stop_loss_pct', 'daily_loss_limit_usd'] as const) optNum(k);
  for (const k of ['entry_time', 'exit_time'] as const) {
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(v[k].trim())) e[k] = 'must be a 24-hour HH:MM time';
  }
  if (!e.delta_low && !e.delta_high && Number(v.delta_low) >= Number(v.delta_high)) e.delta_high = `must be greater than delta_low (${v.delta_low})`;
  if (v.strike_mode === 'premium') {
    if (!v.premium_low.trim()) e.premium_low = "is required when strike_mode is 'premium'";
    if (!v.premium_high.trim()) e.premium_high = "is required when strike_mode is 'premium'";
  }
  if (v.strike_mode === 'distance' && !v.distance_pct.trim()) e.distance_pct = "is required when strike_mode is 'distance'";
  if (v.expiry_rule === 'date' && !v.expiry_date.trim()) e.expiry_date = "is required when expiry_rule is 'date'";
  if (v.expiry_rule === 'offset_days' && !v.expiry_offset_days.trim()) e.expiry_offset_days = "is required when expiry_rule is 'offset_days'";
  if (v.schedule_days.length === 0) e.schedule_days = 'must name at least one day';
  v.trailing_rules.forEach((r, i) => {
    if (r.trigger_pct.trim() === '' || !Number.isFinite(Number(r.trigger_pct))) e[`trailing_rules[${i}].trigger_pct`] = 'must be a number';
    if (r.lock_pct.trim() === '' || !Number.isFinite(Number(r.lock_pct))) e[`trailing_rules[${i}].lock_pct`] = 'must be a number';
  });
  return e;
}

/** Saving is allowed (limits can change), but say now that Start would be refused (409) later. */
export function quantityLimitWarning(quantity: string, maxPerLeg: number | undefined): string | null {
  const q = quantity.trim();
  if (maxPerLeg === undefined || !/^\d+$/.test(q) || Number(q) <= maxPerLeg) return null;
  return `Above the engine's risk limit of ${maxPerLeg} contracts per leg: Start will be refused until the limit is raised (Live Control → Risk limits).`;
}
