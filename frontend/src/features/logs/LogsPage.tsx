import { Alert, Badge, Button, Center, Collapse, Group, Loader, Stack, Switch, Text, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconAlertTriangle, IconChartBar, IconRefresh } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { asApiError } from '../../api/errors';
import { PageTitle } from '../../app/PageTitle';
import type { TopicMessage } from '../../realtime';
import { useConnectionState, useTopic } from '../../realtime/hooks';
import { logsKey, useLogPages, useLogSummary, type LogEntry } from './api';
import { ExportButton } from './ExportButton';
import { FilterBar } from './FilterBar';
import { filtersFromSearch, filtersToSearch, hasAnyFilter, EMPTY_FILTERS, pivotFilters, toLiveFilter, type IdField, type Level, type LogFilters } from './filters';
import { initialTail, jumpToTop, receive, setAtTop, type TailState } from './liveTail';
import { LogList, type LogListHandle } from './LogList';
import { SummaryCards } from './SummaryCards';

function isLogEntry(v: unknown): v is LogEntry {
  return typeof v === 'object' && v !== null && typeof (v as LogEntry).id === 'number' && typeof (v as LogEntry).message === 'string';
}

export default function LogsPage() {
  const [params, setParams] = useSearchParams();
  const searchKey = filtersToSearch(filtersFromSearch(params)).toString();
  const filters = useMemo(() => filtersFromSearch(new URLSearchParams(searchKey)), [searchKey]);

  // The live-tail buffer belongs to one filter set: a new view starts empty.
  const [view, setView] = useState({ key: searchKey, tail: initialTail<LogEntry>() });
  if (view.key !== searchKey) setView({ key: searchKey, tail: initialTail<LogEntry>() });
  const tail = view.tail;
  const setTail = useCallback((fn: (t: TailState<LogEntry>) => TailState<LogEntry>) => setView((v) => ({ ...v, tail: fn(v.tail) })), []);

  const queryClient = useQueryClient();
  const pages = useLogPages(filters);
  const summary = useLogSummary(filters);

  const [live, setLive] = useState(false);
  const liveFilter = useMemo(() => toLiveFilter(filters), [filters]);
  const connection = useConnectionState();
  const listRef = useRef<LogListHandle>(null);

  const fetched = pages.data?.pages;
  const rows = useMemo(() => {
    const seen = new Set<number>();
    const out: LogEntry[] = [];
    const add = (r: LogEntry) => {
      if (seen.has(r.id)) return;
      seen.add(r.id);
      out.push(r);
    };
    tail.rows.forEach(add);
    for (const p of fetched ?? []) p.items.forEach(add);
    return out;
  }, [tail.rows, fetched]);

  const onMessage = useCallback(
    (m: TopicMessage) => {
      if (m.type === 'event' && isLogEntry(m.data)) {
        const row = m.data;
        setTail((t) => receive(t, [row]));
      } else if (m.type === 'resync') {
        void pages.refetch();
      }
    },
    [setTail, pages],
  );
  const liveOn = live && liveFilter !== null;
  useTopic(liveOn ? 'logs' : null, onMessage, liveFilter ?? undefined);

  const apply = useCallback((f: LogFilters) => setParams(filtersToSearch(f)), [setParams]);
  const pivot = useCallback((field: IdField, value: string) => apply(pivotFilters(field, value)), [apply]);
  const refresh = () => {
    setView({ key: searchKey, tail: initialTail<LogEntry>() });
    listRef.current?.scrollToTop();
    void queryClient.resetQueries({ queryKey: logsKey(filters) });
    void summary.refetch();
  };

  const top = summary.data;
  const loggers = useMemo(() => (top?.top_loggers ?? []).map((x) => x.name), [top]);
  const events = useMemo(() => (top?.top_events ?? []).map((x) => x.name), [top]);
  const pending = tail.pending.length;
  const phone = useMediaQuery('(max-width: 48em)') ?? false;
  const [summaryOpen, setSummaryOpen] = useState(false);
  const summaryCards = (
    <SummaryCards
      summary={top}
      onLevel={(l: Level) => apply({ ...filters, levels: [l] })}
      onLogger={(name) => apply({ ...filters, logger: name })}
      onEvent={(name) => apply({ ...filters, event: name })}
      onPivot={pivot}
    />
  );

  return (
    <Stack gap="sm">
      <PageTitle
        title="Logs"
        actions={
          <Group gap="xs" wrap="wrap">
            <Tooltip label={liveFilter === null ? 'The selected range ends in the past' : `Stream new lines as they are written (${connection})`}>
              <Switch
                size="sm"
                label="Live tail"
                checked={liveOn}
                disabled={liveFilter === null}
                onChange={(e) => setLive(e.currentTarget.checked)}
                data-testid="live-toggle"
              />
            </Tooltip>
            {liveOn && (
              <Badge size="sm" variant="dot" color={tail.atTop ? (connection === 'open' ? 'teal' : 'yellow') : 'gray'} data-testid="live-state">
                {tail.atTop ? (connection === 'open' ? 'live' : connection) : 'paused'}
              </Badge>
            )}
            <Button size="xs" variant="default" leftSection={<IconRefresh size={16} stroke={1.6} />} onClick={refresh} loading={pages.isRefetching} data-testid="logs-refresh">
              Refresh
            </Button>
            <ExportButton filters={filters} />
          </Group>
        }
      />
      <FilterBar
        key={searchKey}
        applied={filters}
        onApply={apply}
        loggers={loggers}
        events={events}
      />
      {phone ? <Collapse expanded={summaryOpen}>{summaryCards}</Collapse> : summaryCards}
      <Group justify="space-between" gap="xs">
        <Text size="xs" c="dimmed" data-testid="logs-count" style={{ fontVariantNumeric: 'tabular-nums' }}>
          {pages.isPending ? 'Loading…' : `${rows.length.toLocaleString()} line${rows.length === 1 ? '' : 's'} loaded${pages.hasNextPage ? ' (scroll for older)' : ''}`}
          {top ? ` · ${top.total.toLocaleString()} match` : ''}
        </Text>
        <Group gap={4}>
        {phone && (
          <Button size="compact-xs" variant="subtle" leftSection={<IconChartBar size={14} />} onClick={() => setSummaryOpen((o) => !o)} aria-expanded={summaryOpen} data-testid="summary-toggle">
            {summaryOpen ? 'Hide summary' : 'Summary'}
          </Button>
        )}
        {hasAnyFilter(filters) && (
          <Button size="compact-xs" variant="subtle" onClick={() => apply(EMPTY_FILTERS)}>
            Clear all filters
          </Button>
        )}
        </Group>
      </Group>
      {pages.isPending ? (
        <Center py="xl" role="status" aria-live="polite">
          <Group gap="xs">
            <Loader size="sm" />
            <Text size="sm" c="dimmed">
              Loading log lines…
            </Text>
          </Group>
        </Center>
      ) : pages.isError && rows.length === 0 ? (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Could not load logs" role="alert" data-testid="logs-error">
          <Text size="sm">{asApiError(pages.error).detail}</Text>
          {asApiError(pages.error).correlationId && (
            <Text size="xs" c="dimmed" ff="monospace">
              ref {asApiError(pages.error).correlationId}
            </Text>
          )}
          <Button size="xs" variant="light" mt="sm" onClick={() => void pages.refetch()} loading={pages.isFetching}>
            Retry
          </Button>
        </Alert>
      ) : rows.length === 0 ? (
        <Center py="xl" data-testid="logs-empty">
          <Stack gap={4} align="center">
            <Text size="sm" fw={600}>
              No log lines match these filters
            </Text>
            <Text size="xs" c="dimmed">
              {liveOn ? 'Live tail is on: new matching lines will appear here.' : 'Widen the time range or clear filters.'}
            </Text>
          </Stack>
        </Center>
      ) : (
        <LogList
          handle={listRef}
          rows={rows}
          hasNextPage={pages.hasNextPage}
          isFetchingNextPage={pages.isFetchingNextPage}
          fetchNextPage={() => void pages.fetchNextPage()}
          onPivot={pivot}
          onAtTopChange={(atTop) => setTail((t) => setAtTop(t, atTop))}
          pendingCount={pending}
          onJumpToTop={() => setTail((t) => jumpToTop(t))}
        />
      )}
    </Stack>
  );
}
