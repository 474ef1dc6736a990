/** Row times: local wall clock with milliseconds (many lines share a second at 10–30 lines/s). */
import { formatTimestamp, pad } from '../../app/format';

/** Local "YYYY-MM-DD HH:mm:ss.SSS"; the raw text when it does not parse. */
export function formatLogTime(iso: string): string {
  return formatTimestamp(iso, iso, { ms: true });
}

/** The list's compact form, local "MM-DD HH:mm:ss.SSS" (the year is in the tooltip and the details). */
export function formatLogTimeShort(iso: string): string {
  const full = formatLogTime(iso);
  return full === iso ? iso : full.slice(5);
}

/** The local zone as an offset from UTC at `when`: "UTC", "UTC+01:00", "UTC−05:30". */
export function utcOffsetLabel(when: Date = new Date()): string {
  const minutes = -when.getTimezoneOffset();
  if (minutes === 0) return 'UTC';
  const sign = minutes > 0 ? '+' : '−';
  const abs = Math.abs(minutes);
  return `UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "Europe/Berlin, UTC+01:00" (zone name when the browser knows it). */
export function localZoneLabel(when: Date = new Date()): string {
  let name: string;
  try {
    name = Intl.DateTimeFormat().resolvedOptions().timeZone ?? '';
  } catch {
    name = '';
  }
  const offset = utcOffsetLabel(when);
  return name && name !== 'UTC' ? `${name}, ${offset}` : offset;
}

/** Tooltip for a row time: both clocks spelled out. */
export function logTimeTitle(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `Local time (${localZoneLabel(d)}). UTC: ${d.toISOString()}`;
}

/** Clock time "hh:mm:ss" (local) for "as of" notes. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
