import { useDebouncedCallback } from '@mantine/hooks';
import { APPLY_DELAY_MS, DateRangeInputs, type RangeEnd } from '../analytics/DateRangeInputs';
import { isOpen, typedRangeErrors, useTypedRange, type TypedRange } from '../analytics/useTypedRange';

/**
 * The From / To date filters of History. The applied range (and so the query) changes only when
 * both ends are either empty or a complete, real date from year 2000 on, in order: after a pause
 * in typing, at once on blur/Enter, and at once when a field is cleared. Same rules as the
 * Analytics custom range (useTypedRange), except that either end may be left open.
 */
export function DateRangeFilter({ start, end, onChange }: { start: string; end: string; onChange: (start: string, end: string) => void }) {
  const range = useTypedRange({ start, end }, { allowOpen: true });

  const apply = (d: TypedRange = range.dates, which: RangeEnd = range.edited) => {
    const errs = typedRangeErrors(d, which, true);
    if (errs.start || errs.end) return;
    if (d.start.value !== start || d.end.value !== end) onChange(d.start.value, d.end.value);
  };
  const applySoon = useDebouncedCallback(() => apply(), APPLY_DELAY_MS);

  const setDate = (which: RangeEnd, input: HTMLInputElement) => {
    const next = range.input(which, input);
    if (isOpen(next[which])) {
      // a cleared field opens that end of the range: nothing to wait for
      applySoon.cancel();
      apply(next, which);
    } else {
      applySoon();
    }
  };
  const finishDate = (which: RangeEnd) => {
    range.touch(which);
    applySoon.flush();
  };

  return (
    <DateRangeInputs
      start={range.dates.start.value}
      end={range.dates.end.value}
      errors={range.shownErrors}
      onInput={setDate}
      onFinish={finishDate}
      testIdPrefix="filter"
    />
  );
}
