import { useDebouncedCallback } from '@mantine/hooks';
import { useState } from 'react';
import { APPLY_DELAY_MS, DateRangeInputs, type RangeEnd } from '../analytics/DateRangeInputs';
import { customRangeErrors, dateError } from '../analytics/rangeState';

type End = RangeEnd;
/** What a date field shows. A native date input reports "" both when cleared and while half-typed. */
interface Typed {
  value: string;
  /** "" because the date is unfinished (validity.badInput), not because the field was cleared */
  incomplete: boolean;
}
type Typing = Record<End, Typed>;

const typed = (value: string): Typed => ({ value, incomplete: false });
const isOpen = (t: Typed) => t.value === '' && !t.incomplete;

/** Why each typed end cannot be applied, or null. Either end may be left open (empty). */
function openRangeErrors(d: Typing, edited: End): Record<End, string | null> {
  const errors = customRangeErrors(d.start.value, d.end.value, edited);
  if (isOpen(d.start)) errors.start = null;
  if (isOpen(d.end)) errors.end = null;
  return errors;
}

/**
 * The From / To date filters of History. The fields hold what the user typed; the applied range
 * (and so the query) changes only when both ends are either empty or a complete, real date from
 * year 2000 on, in order: after a pause in typing, at once on blur/Enter, and at once when a field
 * is cleared. Same rules as the Analytics custom range (rangeState helpers).
 */
export function DateRangeFilter({ start, end, onChange }: { start: string; end: string; onChange: (start: string, end: string) => void }) {
  const [dates, setDates] = useState<Typing>({ start: typed(start), end: typed(end) });
  const [edited, setEdited] = useState<End>('start');
  const [touched, setTouched] = useState({ start: false, end: false });
  // follow the applied range (e.g. "Clear filters") without an effect: adjust state during render
  const appliedKey = `${start}/${end}`;
  const [seen, setSeen] = useState(appliedKey);
  if (seen !== appliedKey) {
    setSeen(appliedKey);
    setDates({ start: typed(start), end: typed(end) });
    setTouched({ start: false, end: false });
  }

  const errors = openRangeErrors(dates, edited);
  // an unfinished date is flagged once the user leaves the field; a reversed range at once
  const shownError = (which: End) => {
    const e = errors[which];
    return e && (touched[which] || !dateError(dates[which].value)) ? e : null;
  };

  const apply = (d: Typing = dates, which: End = edited) => {
    const errs = openRangeErrors(d, which);
    if (errs.start || errs.end) return;
    if (d.start.value !== start || d.end.value !== end) onChange(d.start.value, d.end.value);
  };
  const applySoon = useDebouncedCallback(() => apply(), APPLY_DELAY_MS);

  const setDate = (which: End, input: HTMLInputElement) => {
    const next = { ...dates, [which]: { value: input.value, incomplete: input.value === '' && input.validity.badInput } };
    setDates(next);
    setEdited(which);
    if (isOpen(next[which])) {
      // a cleared field opens that end of the range: nothing to wait for
      applySoon.cancel();
      apply(next, which);
    } else {
      applySoon();
    }
  };
  const finishDate = (which: End) => {
    setTouched((t) => ({ ...t, [which]: true }));
    applySoon.flush();
  };

  return (
    <DateRangeInputs
      start={dates.start.value}
      end={dates.end.value}
      errors={{ start: shownError('start'), end: shownError('end') }}
      onInput={setDate}
      onFinish={finishDate}
      testIdPrefix="filter"
    />
  );
}
