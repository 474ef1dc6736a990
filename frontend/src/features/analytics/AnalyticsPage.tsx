import { Anchor, Button, Card, Group, Paper, Skeleton, SimpleGrid, Stack, Switch, Text, Title, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconChartLine, IconRefresh } from '@tabler/icons-react';
import type { UseQueryResult } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { PageTitle } from '../../app/PageTitle';
import { QueryError } from '../../app/QueryState';
import { BreakdownTable, humanizeKey } from './BreakdownTable';
import { DailyPnlChart, EquityDrawdownChart, PnlHistogram, RollingWinRateChart } from './charts';
import { ExportButton } from './ExportButton';
import { Filters, type FiltersHandle } from './Filters';
import { KpiGroup, MoneyKpi, Kpi } from './Kpi';
import { KpiSections } from './KpiSections';
import { formatInTz, clockTime, filtersFromSearch, filtersToSearch, toApiQuery, PRESET_LABELS, type AnalyticsFilters } from './rangeState';
import { useAnalytics, useStrategies } from './useAnalytics';
import type { AnalyticsSummaryResponse, History, OpenSessionsStats } from './types';

function KpiSkeleton() {
  return (
    <Stack gap="md" role="status" aria-live="polite" aria-label="Loading analytics">
      {[6, 6, 4].map((n, g) => (
        <Stack key={g} gap={6}>
          <Skeleton h={14} w={120} />
          <SimpleGrid cols={{ base: 2, xs: 3, md: 4, lg: 6 }} spacing="xs">
            {Array.from({ length: n }, (_, i) => (
              <Skeleton key={i} h={64} radius="sm" />
            ))}
          </SimpleGrid>
        </Stack>
      ))}
      <Skeleton h={300} radius="sm" />
    </Stack>
  );
}

function ChartCard({ title, description, children, span }: { title: string; description?: string; children: ReactNode; span?: boolean }) {
  return (
    <Card withBorder radius="sm" padding="sm" style={span ? { gridColumn: '1 / -1' } : undefined} component="section" aria-label={title}>
      <Group gap="xs" align="baseline" mb="xs">
        <Title order={3} size="h6">
          {title}
        </Title>
        {description && (
          <Text size="xs" c="dimmed">
            {description}
          </Text>
        )}
      </Group>
      {children}
    </Card>
  );
}

function OpenSessionsOnly({ open }: { open: OpenSessionsStats }) {
  if (open.open_sessions === 0) return null;
  return (
    <KpiGroup title="Open sessions" description="unrealised, not part of realised figures">
      <Kpi id="open_sessions" label="Open sessions" value={String(open.open_sessions)} raw={open.open_sessions} />
      <MoneyKpi id="open_credit" label="Open credit" amount={open.credit} colored={false} />
      <MoneyKpi id="open_fees" label="Fees paid" amount={open.fees} colored={false} />
    </KpiGroup>
  );
}

function EmptyState({ filters, onAll }: { filters: AnalyticsFilters; onAll: (() => void) | null }) {
  const where =
    filters.range.kind === 'preset' ? `in ${PRESET_LABELS[filters.range.preset]}` : `from ${filters.range.start} to ${filters.range.end}`;
  return (
    <Paper withBorder p="xl" radius="sm" data-testid="analytics-empty">
      <Stack align="center" gap="xs" ta="center">
        <IconChartLine size={36} stroke={1.4} color="var(--mantine-color-dimmed)" aria-hidden />
        <Title order={2} size="h4">
          No closed sessions {where}
        </Title>
        <Text size="sm" c="dimmed" maw={520}>
          Analytics counts a trade when its session closes. Start a strategy in paper mode on{' '}
          <Anchor component={Link} to="/live" data-testid="empty-live-link">
            Live Control
          </Anchor>{' '}
          — closed sessions appear here within 30 seconds.
          {filters.strategyId !== null && ' The strategy filter is on: try All strategies.'}
        </Text>
        {onAll && (
          <Button size="xs" variant="light" onClick={onAll} data-testid="empty-show-all">
            Show all time
          </Button>
        )}
      </Stack>
    </Paper>
  );
}

function Charts({ history, tz }: { history: History; tz: string }) {
  const phone = useMediaQuery('(max-width: 36em)');
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="sm">
      <ChartCard title="Equity & drawdown" description="one point per trade close; drawdown below" span>
        <EquityDrawdownChart history={history} tz={tz} height={phone ? 280 : 340} />
      </ChartCard>
      <ChartCard title="Daily net PnL" description={`calendar days in ${tz}`}>
        <DailyPnlChart history={history} height={phone ? 180 : 220} />
      </ChartCard>
      <ChartCard title="Rolling win rate" description={`last ${history.rolling_window} trades`}>
        <RollingWinRateChart history={history} tz={tz} height={phone ? 180 : 220} />
      </ChartCard>
      <ChartCard title="PnL distribution" description="trades per net PnL bin">
        <PnlHistogram history={history} height={phone ? 160 : 200} />
      </ChartCard>
    </SimpleGrid>
  );
}

function Content({
  data,
  history,
  filters,
  strategyName,
  onAll,
}: {
  data: AnalyticsSummaryResponse;
  history: UseQueryResult<{ history: History }>;
  filters: AnalyticsFilters;
  strategyName: (key: string) => string;
  onAll: (() => void) | null;
}) {
  const s = data.summary;
  if (s.trade_count === 0) {
    return (
      <Stack gap="md">
        <EmptyState filters={filters} onAll={onAll} />
        <OpenSessionsOnly open={data.open_sessions} />
      </Stack>
    );
  }
  return (
    <Stack gap="lg">
      <KpiSections summary={s} open={data.open_sessions} tz={data.range.timezone} />
      {history.isPending ? (
        <Skeleton h={340} radius="sm" />
      ) : history.isError ? (
        <QueryError query={history} label="charts" />
      ) : (
        <Charts history={history.data.history} tz={data.range.timezone} />
      )}
      <Stack gap="sm">
        <ChartCard title="By exit reason">
          <BreakdownTable title="Breakdown by exit reason" keyLabel="Exit reason" rows={s.by_exit_reason} labelFor={humanizeKey} testId="table-exit-reason" />
        </ChartCard>
        <ChartCard title="By underlying">
          <BreakdownTable title="Breakdown by underlying" keyLabel="Underlying" rows={s.by_underlying} testId="table-underlying" />
        </ChartCard>
        <ChartCard title="By strategy">
          <BreakdownTable title="Breakdown by strategy" keyLabel="Strategy" rows={s.by_strategy} labelFor={strategyName} testId="table-strategy" />
        </ChartCard>
      </Stack>
    </Stack>
  );
}

export default function AnalyticsPage() {
  const [search, setSearch] = useSearchParams();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const query = useMemo(() => toApiQuery(filters), [filters]);
  const [autoRefresh, setAutoRefresh] = useState(true);
  const { summary, history } = useAnalytics(query, autoRefresh);
  const strategies = useStrategies();
  const fields = useRef<FiltersHandle>(null);

  const setFilters = useCallback((next: AnalyticsFilters) => setSearch(filtersToSearch(next), { replace: false }), [setSearch]);
  const strategyName = useCallback(
    (key: string) => {
      const s = strategies.data?.find((x) => String(x.id) === key);
      return s ? `${s.name} (#${s.id})` : `Strategy #${key}`;
    },
    [strategies.data],
  );

  // A strategy created after the list was fetched (by another tab/user): refresh the names once.
  const missingStrategy = useMemo(() => {
    if (!strategies.data || !summary.data) return null;
    const known = new Set(strategies.data.map((x) => String(x.id)));
    return summary.data.summary.by_strategy.map((r) => r.key).find((k) => !known.has(k)) ?? null;
  }, [strategies.data, summary.data]);
  const askedFor = useRef<string | null>(null);
  const refetchStrategies = strategies.refetch;
  useEffect(() => {
    if (missingStrategy && missingStrategy !== askedFor.current) {
      askedFor.current = missingStrategy;
      void refetchStrategies();
    }
  }, [missingStrategy, refetchStrategies]);

  const updatedAt = Math.max(summary.dataUpdatedAt, history.dataUpdatedAt);
  const refreshing = summary.isFetching || history.isFetching;
  const isAll = filters.range.kind === 'preset' && filters.range.preset === 'all';
  const onAll = isAll ? null : () => setFilters({ ...filters, range: { kind: 'preset', preset: 'all' } });
  const range = summary.data?.range;

  return (
    <Stack gap="md" pb="xl">
      <PageTitle
        title="Analytics"
        actions={
          <Group gap="sm" wrap="wrap">
            <Tooltip label="Every 30 s the preset is re-sent, so the range end moves with the clock">
              <Switch size="xs" label="Auto-refresh 30 s" checked={autoRefresh} onChange={(e) => setAutoRefresh(e.currentTarget.checked)} data-testid="auto-refresh" />
            </Tooltip>
            <Text size="xs" c="dimmed" ff="monospace" data-testid="updated-at" aria-live="off" title={range ? `range ${range.start ?? '−∞'} → ${range.end} (UTC)` : undefined}>
              {updatedAt ? `updated ${clockTime(updatedAt, filters.tz)}` : 'not loaded yet'}
            </Text>
            <Tooltip label="Refresh now">
              <Button
                size="xs"
                variant="subtle"
                px={6}
                aria-label="Refresh now"
                onClick={() => {
                  void summary.refetch();
                  void history.refetch();
                }}
                loading={refreshing}
                data-testid="refresh-now"
              >
                <IconRefresh size={16} stroke={1.6} />
              </Button>
            </Tooltip>
            <ExportButton filters={filters} fields={fields} />
          </Group>
        }
      />
      <Filters ref={fields} filters={filters} onChange={setFilters} strategies={strategies.data} strategiesLoading={strategies.isPending} />
      {range && (
        <Text size="xs" c="dimmed" data-testid="range-resolved">
          {range.start ? formatInTz(range.start, range.timezone) : 'beginning'} → {formatInTz(range.end, range.timezone)} ({range.timezone})
          {range.preset ? ' · the end follows the clock' : ''}
        </Text>
      )}
      {summary.isPending ? (
        <KpiSkeleton />
      ) : summary.isError && !summary.data ? (
        <QueryError query={summary} label="analytics" />
      ) : summary.data ? (
        <Content data={summary.data} history={history} filters={filters} strategyName={strategyName} onAll={onAll} />
      ) : null}
    </Stack>
  );
}
