import { Group, Paper, SegmentedControl, Select, SimpleGrid, TextInput } from '@mantine/core';
import { useDebouncedCallback } from '@mantine/hooks';
import { useImperativeHandle, useMemo, useState, type Ref } from 'react';
import { APPLY_DELAY_MS, DateRangeInputs, type RangeEnd } from './DateRangeInputs';
import { useTypedRange } from './useTypedRange';
import {
  isValidCapital,
  localDate,
  PRESET_LABELS,
  PRESETS,
  timeZoneOptions,
  type AnalyticsFilters,
  type Preset,
} from './rangeState';
import type { StrategyRead } from './types';

const DAY_MS = 86_400_000;

const CAPITAL_ERROR = 'A number ≥ 0, e.g. 10000';

/** Apply what the fields show right now, skipping the debounce (e.g. before an export). */
export type FlushResult = { ok: true; filters: AnalyticsFilters } | { ok: false; problem: string };
export interface FiltersHandle {
  flush: () => FlushResult;
}

export function Filters({
  ref,
  filters,
  onChange,
  strategies,
  strategiesLoading,
}: {
  ref?: Ref<FiltersHandle>;
  filters: AnalyticsFilters;
  onChange: (next: AnalyticsFilters) => void;
  strategies: readonly StrategyRead[] | undefined;
  strategiesLoading: boolean;
}) {
  const { range, tz } = filters;
  const segment = range.kind === 'preset' ? range.preset : 'custom';
  const zones = useMemo(() => timeZoneOptions(tz), [tz]);

  // The fields hold what the user typed; the filters (URL, queries) change only when a value is
  // complete and valid: after a pause in typing, on blur/Enter, or when flushed for an export.
  const [capital, setCapital] = useState(filters.capital);
  const typedRange = useTypedRange(range.kind === 'custom' ? range : null, { allowOpen: false });
  const dates = { start: typedRange.dates.start.value, end: typedRange.dates.end.value };
  // follow the URL (back/forward, shared links, other buttons) without an effect: adjust state during render
  const [seenCapital, setSeenCapital] = useState(filters.capital);
  if (seenCapital !== filters.capital) {
    setSeenCapital(filters.capital);
    setCapital(filters.capital);
  }

  const capitalError = isValidCapital(capital.trim()) ? null : CAPITAL_ERROR;
  const rangeErrors = typedRange.errors;

  /** Apply every field that holds a valid value; report whether all of them did. */
  const apply = (): FlushResult => {
    let next = filters;
    const cap = capital.trim();
    if (!capitalError && cap !== filters.capital) next = { ...next, capital: cap };
    const datesOk = range.kind !== 'custom' || (!rangeErrors.start && !rangeErrors.end);
    if (range.kind === 'custom' && datesOk && (dates.start !== range.start || dates.end !== range.end)) {
      next = { ...next, range: { kind: 'custom', start: dates.start, end: dates.end } };
    }
    if (next !== filters) onChange(next);
    if (capitalError) return { ok: false, problem: 'the starting capital' };
    if (!datesOk) return { ok: false, problem: 'the date range' };
    return { ok: true, filters: next };
  };
  const applySoon = useDebouncedCallback(apply, APPLY_DELAY_MS);
  useImperativeHandle(ref, () => ({
    flush: () => {
      applySoon.cancel();
      typedRange.touch('start', 'end');
      return apply();
    },
  }));

  const onSegment = (value: string) => {
    if (value === 'custom') {
      if (range.kind === 'custom') return;
      const now = Date.now();
      onChange({ ...filters, range: { kind: 'custom', start: localDate(now - 29 * DAY_MS, tz), end: localDate(now, tz) } });
    } else {
      onChange({ ...filters, range: { kind: 'preset', preset: value as Preset } });
    }
  };

  const setDate = (which: RangeEnd, input: HTMLInputElement) => {
    typedRange.input(which, input);
    applySoon();
  };
  const finishDate = (which: RangeEnd) => {
    typedRange.touch(which);
    applySoon.flush();
  };

  const strategyData = useMemo(
    () => [
      { value: '', label: 'All strategies' },
      ...(strategies ?? []).map((s) => ({ value: String(s.id), label: `${s.name} (#${s.id})` })),
      // keep a shared link's strategy selectable even before/without the list
      ...(filters.strategyId !== null && !(strategies ?? []).some((s) => s.id === filters.strategyId)
        ? [{ value: String(filters.strategyId), label: `Strategy #${filters.strategyId}` }]
        : []),
    ],
    [strategies, filters.strategyId],
  );

  return (
    <Paper withBorder p="sm" radius="sm" component="form" role="search" aria-label="Analytics filters" onSubmit={(e) => e.preventDefault()}>
      <Group gap="sm" align="flex-end" wrap="wrap">
        <SegmentedControl
          aria-label="Range"
          data-testid="range-presets"
          value={segment}
          onChange={onSegment}
          data={[...PRESETS.map((p) => ({ value: p, label: PRESET_LABELS[p] })), { value: 'custom', label: 'Custom' }]}
          size="xs"
          style={{ flexShrink: 0, maxWidth: '100%', overflowX: 'auto' }}
        />
        {range.kind === 'custom' && (
          <Group gap="xs" wrap="nowrap">
            <DateRangeInputs
              start={dates.start}
              end={dates.end}
              errors={typedRange.shownErrors}
              onInput={setDate}
              onFinish={finishDate}
              testIdPrefix="range"
              size="xs"
            />
          </Group>
        )}
      </Group>
      <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="sm" mt="sm">
        <Select
          label="Timezone"
          size="xs"
          searchable
          allowDeselect={false}
          data={zones}
          value={tz}
          onChange={(v) => v && onChange({ ...filters, tz: v })}
          limit={200}
          nothingFoundMessage="Unknown timezone"
          data-testid="tz-select"
          description="Calendar days and presets"
        />
        <Select
          label="Strategy"
          size="xs"
          allowDeselect={false}
          data={strategyData}
          value={filters.strategyId === null ? '' : String(filters.strategyId)}
          onChange={(v) => onChange({ ...filters, strategyId: v ? Number(v) : null })}
          disabled={strategiesLoading && !strategies}
          data-testid="strategy-select"
          description="Sessions of one strategy, or all"
        />
        <TextInput
          label="Starting capital (USD)"
          size="xs"
          inputMode="decimal"
          placeholder="e.g. 10000"
          value={capital}
          error={capitalError}
          onChange={(e) => {
            setCapital(e.currentTarget.value);
            applySoon();
          }}
          onBlur={() => applySoon.flush()}
          onKeyDown={(e) => {
            if (e.key === 'Enter') applySoon.flush();
          }}
          data-testid="capital-input"
          description="For drawdown %, Sharpe, Sortino, Calmar"
        />
      </SimpleGrid>
    </Paper>
  );
}
