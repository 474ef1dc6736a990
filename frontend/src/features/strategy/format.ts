/** Number, money, state and countdown formatting shared by Strategies, Live Control and History. */

import { formatDecimal, parseDecimal } from '../analytics/money';

export function toNum(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * Fixed decimals, thousands separators; '—' for missing. The backend's decimal strings are
 * rounded exactly on their digits (half away from zero, as the backend rounds its messages), so
 * a figure reads the same on every page; plain numbers (ratios, deltas) go through a float.
 */
export function fmtNum(v: string | number | null | undefined, digits = 2): string {
  if (typeof v === 'string' && parseDecimal(v)) return formatDecimal(v, { minDp: digits, maxDp: digits });
  const n = toNum(v);
  if (n === null) return '—';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Signed USD, e.g. "+12.34", "−3.10" (typographic minus); zero after rounding has no sign. */
export function fmtSigned(v: string | number | null | undefined, digits = 2): string {
  if (typeof v === 'string' && parseDecimal(v)) {
    const text = formatDecimal(v, { minDp: digits, maxDp: digits, signed: true });
    return text.startsWith('-') ? `−${text.slice(1)}` : text;
  }
  const n = toNum(v);
  if (n === null) return '—';
  const abs = Math.abs(n).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  if (Number(abs.replace(/,/g, '')) === 0) return abs;
  return n > 0 ? `+${abs}` : `−${abs}`;
}

export function fmtPct(v: string | number | null | undefined, digits = 1, signed = false): string {
  const n = toNum(v);
  if (n === null) return '—';
  return `${signed ? fmtSigned(n, digits) : fmtNum(n, digits)}%`;
}

export function pnlColor(v: string | number | null | undefined): string | undefined {
  const n = toNum(v);
  if (n === null || n === 0) return undefined;
  return n > 0 ? 'teal' : 'red';
}

const STATE_COLORS: Record<string, string> = {
  idle: 'gray',
  waiting: 'blue',
  entering: 'cyan',
  open: 'teal',
  exiting: 'orange',
  closed: 'gray',
  paused: 'yellow',
  error: 'red',
};

export function stateColor(state: string): string {
  return STATE_COLORS[state] ?? 'gray';
}

/** States in which a strategy holds or may acquire positions. */
export const RUNNING_STATES = new Set(['waiting', 'entering', 'open', 'exiting', 'paused']);

/**
 * Countdown text for a number of seconds: "2d 03:04:05", "03:04:05", "04:05"; "now" at or below
 * zero; "—" when unknown. Always exact to the second (floor), never rounded up.
 */
export function formatCountdown(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  if (seconds <= 0) return 'now';
  const total = Math.floor(seconds);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const p = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${p(h)}:${p(m)}:${p(s)}`;
  if (h > 0) return `${p(h)}:${p(m)}:${p(s)}`;
  return `${p(m)}:${p(s)}`;
}

/** "take_profit" → "take profit". */
export function humanize(v: string | null | undefined): string {
  return v ? v.replace(/_/g, ' ') : '—';
}
