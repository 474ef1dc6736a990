import { Group, Paper, SegmentedControl, Select, SimpleGrid, TextInput } from '@mantine/core';
import { useMemo, useState } from 'react';
import {
  isIsoDate,
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

export function Filters({
  filters,
  onChange,
  strategies,
  strategiesLoading,
}: {
  filters: AnalyticsFilters;
  onChange: (next: AnalyticsFilters) => void;
  strategies: readonly StrategyRead[] | undefined;
  strategiesLoading: boolean;
}) {
  const { range, tz } = filters;
  const segment = range.kind === 'preset' ? range.preset : 'custom';
  const zones = useMemo(() => timeZoneOptions(tz), [tz]);

  const [capital, setCapital] = useState(filters.capital);
  // follow the URL (back/forward, shared links) without an effect: adjust state during render
  const [seenCapital, setSeenCapital] = useState(filters.capital);
  if (seenCapital !== filters.capital) {
    setSeenCapital(filters.capital);
    setCapital(filters.capital);
  }
  const capitalError = isValidCapital(capital.trim()) ? null : 'A number ≥ 0, e.g. 10000';
  const commitCapital = () => {
    const v = capital.trim();
    if (isValidCapital(v) && v !== filters.capital) onChange({ ...filters, capital: v });
  };

  const onSegment = (value: string) => {
    if (value === 'custom') {
      if (range.kind === 'custom') return;
      const now = Date.now();
      onChange({ ...filters, range: { kind: 'custom', start: localDate(now - 29 * DAY_MS, tz), end: localDate(now, tz) } });
    } else {
      onChange({ ...filters, range: { kind: 'preset', preset: value as Preset } });
    }
  };

  const setDate = (which: 'start' | 'end', value: string) => {
    if (range.kind !== 'custom' || !isIsoDate(value)) return;
    let { start, end } = range;
    if (which === 'start') start = value;
    else end = value;
    if (start > end) [start, end] = which === 'start' ? [start, start] : [end, end];
    onChange({ ...filters, range: { kind: 'custom', start, end } });
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
            <TextInput
              type="date"
              label="From"
              size="xs"
              value={range.start}
              max={range.end}
              onChange={(e) => setDate('start', e.currentTarget.value)}
              data-testid="range-start"
            />
            <TextInput
              type="date"
              label="To (inclusive)"
              size="xs"
              value={range.end}
              min={range.start}
              onChange={(e) => setDate('end', e.currentTarget.value)}
              data-testid="range-end"
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
          onChange={(e) => setCapital(e.currentTarget.value)}
          onBlur={commitCapital}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commitCapital();
          }}
          data-testid="capital-input"
          description="For drawdown %, Sharpe, Sortino, Calmar"
        />
      </SimpleGrid>
    </Paper>
  );
}
