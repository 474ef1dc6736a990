import { TextInput, type MantineSize } from '@mantine/core';
import { isPlausibleDate } from './rangeState';

/** How long typing in a filter field must pause before the value is applied (and queried). */
export const APPLY_DELAY_MS = 400;

export type RangeEnd = 'start' | 'end';

/**
 * The From / To (inclusive) native date inputs of a range filter (History, Analytics custom
 * range). The owner keeps what was typed and decides when it applies: `onInput` on every change
 * (with the input, whose `validity.badInput` tells a half-typed date from a cleared one),
 * `onFinish` on blur and Enter.
 */
export function DateRangeInputs({
  start,
  end,
  errors,
  onInput,
  onFinish,
  testIdPrefix,
  size,
}: {
  start: string;
  end: string;
  errors: Record<RangeEnd, string | null>;
  onInput: (which: RangeEnd, input: HTMLInputElement) => void;
  onFinish: (which: RangeEnd) => void;
  testIdPrefix: string;
  size?: MantineSize;
}) {
  const input = (which: RangeEnd, label: string, bounds: { min?: string; max?: string }) => (
    <TextInput
      type="date"
      label={label}
      size={size}
      value={which === 'start' ? start : end}
      {...bounds}
      error={errors[which]}
      onChange={(e) => onInput(which, e.currentTarget)}
      onBlur={() => onFinish(which)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onFinish(which);
      }}
      data-testid={`${testIdPrefix}-${which}`}
    />
  );
  return (
    <>
      {input('start', 'From', { max: isPlausibleDate(end) ? end : undefined })}
      {input('end', 'To (inclusive)', { min: isPlausibleDate(start) ? start : undefined })}
    </>
  );
}
