/**
 * Exact formatting of the backend's decimal strings (money is `Decimal` on the server and
 * arrives as text: "-1234.5", "0.00000001", "1E+3"). No value ever goes through a float:
 * rounding is done on the digit string (half away from zero, like Python's ROUND_HALF_UP).
 */

export interface ParsedDecimal {
  negative: boolean;
  /** Integer digits without leading zeros ("0" for zero). */
  int: string;
  /** Fraction digits without trailing zeros ("" for none). */
  frac: string;
}

const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Parse a decimal string; `null` when it is not a finite decimal number. */
export function parseDecimal(value: string | null | undefined): ParsedDecimal | null {
  if (value === null || value === undefined) return null;
  const m = DECIMAL_RE.exec(value.trim());
  if (!m) return null;
  const [, sign, intRaw = '', fracRaw = '', expRaw] = m;
  if (!intRaw && !fracRaw) return null;
  let digits = intRaw + fracRaw;
  let point = intRaw.length; // position of the decimal point inside `digits`
  if (expRaw) {
    const exp = Number(expRaw);
    if (!Number.isSafeInteger(exp) || Math.abs(exp) > 1000) return null;
    point += exp;
  }
  if (point < 0) {
    digits = '0'.repeat(-point) + digits;
    point = 0;
  } else if (point > digits.length) {
    digits = digits + '0'.repeat(point - digits.length);
  }
  const int = digits.slice(0, point).replace(/^0+/, '') || '0';
  const frac = digits.slice(point).replace(/0+$/, '');
  const isZero = int === '0' && frac === '';
  return { negative: sign === '-' && !isZero, int, frac };
}

/** Add one unit in the last place of a digit string ("199" -> "200", "99" -> "100"). */
function incrementDigits(digits: string): string {
  const out = digits.split('');
  let i = out.length - 1;
  while (i >= 0) {
    if (out[i] === '9') {
      out[i] = '0';
      i -= 1;
    } else {
      out[i] = String(Number(out[i]) + 1);
      return out.join('');
    }
  }
  return '1' + out.join('');
}

/** Round to at most `dp` fraction digits, half away from zero. Exact (string arithmetic). */
export function roundDecimal(d: ParsedDecimal, dp: number): ParsedDecimal {
  if (d.frac.length <= dp) return d;
  const keep = d.int + d.frac.slice(0, dp);
  const roundUp = d.frac.charCodeAt(dp) >= '5'.charCodeAt(0);
  let digits = roundUp ? incrementDigits(keep) : keep;
  // incrementDigits may have grown the integer part by one digit
  const intLen = digits.length - dp;
  digits = digits.padStart(dp + 1, '0');
  const int = digits.slice(0, Math.max(intLen, 1)).replace(/^0+/, '') || '0';
  const frac = digits.slice(Math.max(intLen, 1)).replace(/0+$/, '');
  const isZero = int === '0' && frac === '';
  return { negative: d.negative && !isZero, int, frac };
}

function groupThousands(int: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export interface MoneyFormat {
  /** Always show at least this many fraction digits (default 2). */
  minDp?: number;
  /** Round to at most this many fraction digits (default 4: Delta fees have 4 decimals). */
  maxDp?: number;
  /** Prefix positive values with "+" (PnL). Zero never gets a sign. */
  signed?: boolean;
  /** Currency prefix (default "$"); "" for a bare number. */
  currency?: string;
  /** Text for null/undefined/unparseable input (default "—"). */
  fallback?: string;
}

/**
 * "-1234.5" -> "-$1,234.50"; "0.0125" -> "$0.0125"; "1234.56789" -> "$1,234.5679".
 * Use `isRounded()` to decide whether to show the exact value in a tooltip.
 */
export function formatMoney(value: string | null | undefined, opts: MoneyFormat = {}): string {
  const { minDp = 2, maxDp = 4, signed = false, currency = '$', fallback = '—' } = opts;
  const parsed = parseDecimal(value);
  if (!parsed) return fallback;
  const r = roundDecimal(parsed, maxDp);
  const frac = r.frac.padEnd(minDp, '0');
  const body = `${currency}${groupThousands(r.int)}${frac ? `.${frac}` : ''}`;
  if (r.negative) return `-${body}`;
  const isZero = r.int === '0' && r.frac === '';
  return signed && !isZero ? `+${body}` : body;
}

/** A plain decimal number with thousands separators ("1234.5" -> "1,234.5"). */
export function formatDecimal(value: string | null | undefined, opts: Omit<MoneyFormat, 'currency'> = {}): string {
  return formatMoney(value, { minDp: 0, maxDp: 8, ...opts, currency: '' });
}

/** True when `formatMoney` at `maxDp` dropped digits (show the exact value on hover). */
export function isRounded(value: string | null | undefined, maxDp = 4): boolean {
  const parsed = parseDecimal(value);
  return parsed !== null && parsed.frac.length > maxDp;
}

/** -1, 0 or 1 for a decimal string (0 for null/unparseable). */
export function decimalSign(value: string | null | undefined): -1 | 0 | 1 {
  const p = parseDecimal(value);
  if (!p || (p.int === '0' && p.frac === '')) return 0;
  return p.negative ? -1 : 1;
}

/** The canonical text of a decimal ("067.50" -> "67.5", "-0" -> "0"); null when unparseable. */
export function normalizeDecimal(value: string | null | undefined): string | null {
  const p = parseDecimal(value);
  if (!p) return null;
  return `${p.negative ? '-' : ''}${p.int}${p.frac ? `.${p.frac}` : ''}`;
}

/** A ratio 0..1 as a percentage ("66.7%"); `null` -> fallback. */
export function formatPercentOfOne(value: number | null | undefined, dp = 1, fallback = '—'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return fallback;
  return `${(value * 100).toFixed(dp)}%`;
}

/** A value already in percent ("12.345" -> "12.35%"). */
export function formatPercent(value: number | null | undefined, dp = 2, fallback = '—'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return fallback;
  return `${value.toFixed(dp)}%`;
}

/** A float ratio (Sharpe, profit factor). */
export function formatRatio(value: number | null | undefined, dp = 2, fallback = '—'): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return fallback;
  return value.toFixed(dp);
}

/** Seconds as "1d 2h", "5h 12m", "7m 5s". */
export function formatDuration(seconds: number | null | undefined, fallback = '—'): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return fallback;
  const s = Math.round(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}
