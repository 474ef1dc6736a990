import { useState } from 'react';
import type { RangeEnd } from './DateRangeInputs';
import { customRangeErrors, dateError } from './rangeState';

/** What a date field shows. A native date input reports "" both when cleared and while half-typed. */
export interface TypedDate {
  value: string;
  /** "" because the date is unfinished (validity.badInput), not because the field was cleared */
  incomplete: boolean;
}
export type TypedRange = Record<RangeEnd, TypedDate>;

const typed = (value: string): TypedDate => ({ value, incomplete: false });
/** A cleared field: an open end of the range (where the owner allows one). */
export const isOpen = (t: TypedDate) => t.value === '' && !t.incomplete;

/** Why each typed end cannot be applied, or null; with `allowOpen`, an empty end is fine. */
export function typedRangeErrors(d: TypedRange, edited: RangeEnd, allowOpen: boolean): Record<RangeEnd, string | null> {
  const errors = customRangeErrors(d.start.value, d.end.value, edited);
  if (allowOpen && isOpen(d.start)) errors.start = null;
  if (allowOpen && isOpen(d.end)) errors.end = null;
  return errors;
}

/**
 * The From / To fields of a range filter (History; Analytics' custom range). They hold what the
 * user typed, follow the applied range when it changes elsewhere (back/forward, presets, "Clear"),
 * and say why a typed end cannot be applied: an unfinished date once the user left the field, a
 * reversed range at once. When to apply is the owner's (a debounce, blur/Enter, an export).
 */
export function useTypedRange(applied: { start: string; end: string } | null, { allowOpen }: { allowOpen: boolean }) {
  const fromApplied = (): TypedRange => ({ start: typed(applied?.start ?? ''), end: typed(applied?.end ?? '') });
  const [dates, setDates] = useState(fromApplied);
  const [edited, setEdited] = useState<RangeEnd>('start');
  const [touched, setTouched] = useState({ start: false, end: false });
  // follow the applied range without an effect: adjust state during render
  const appliedKey = applied ? `${applied.start}/${applied.end}` : '';
  const [seen, setSeen] = useState(appliedKey);
  if (seen !== appliedKey) {
    setSeen(appliedKey);
    setDates(fromApplied());
    setTouched({ start: false, end: false });
  }

  const errors = typedRangeErrors(dates, edited, allowOpen);
  const shown = (which: RangeEnd) => {
    const e = errors[which];
    return e && (touched[which] || !dateError(dates[which].value)) ? e : null;
  };
  return {
    dates,
    edited,
    errors,
    shownErrors: { start: shown('start'), end: shown('end') },
    /** Record what an input now holds; returns the new range (state is only visible next render). */
    input: (which: RangeEnd, el: HTMLInputElement): TypedRange => {
      const next = { ...dates, [which]: { value: el.value, incomplete: el.value === '' && el.validity.badInput } };
      setDates(next);
      setEdited(which);
      return next;
    },
    /** The user left a field (or an export needs every problem shown). */
    touch: (...which: RangeEnd[]) => setTouched((t) => ({ ...t, ...Object.fromEntries(which.map((w) => [w, true])) })),
  };
}
