import { Alert, Badge, Button, Center, Collapse, Group, Loader, Stack, Switch, Text, Tooltip } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconAlertTriangle, IconChartBar, IconRefresh } from '@tabler/icons-react';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { PageTitle } from '../../app/PageTitle';
import type { TopicMessage } from '../../realtime';
import { useConnectionState, useTopic } from '../../realtime/hooks';
import { fetchLogPage, logsKey, useLogPages, useLogSummary, type LogEntry } from './api';
import { ExportButton } from './ExportButton';
import { FilterBar } from './FilterBar';
import { filtersFromSearch, filtersToSearch, hasAnyFilter, EMPTY_FILTERS, pivotFilters, toLiveFilter, type IdField, type Level, type LogFilters } from './filters';
import { createGapCoalescer, fetchGap, type GapMode } from './gapFill';
import { compareNewestFirst, hold, initialTail, isPaused, jumpToTop, mergeFetched, receive, release, setAtTop, type TailState } from './liveTail';
import { describeLoadError } from './loadError';
import { LogList, type LogListHandle } from './LogList';
import { SummaryCards } from './SummaryCards';
import { createThrottle } from './throttle';
import { clockTime, localZoneLabel } from './time';

/** While live rows arrive, the summary (counts, latest error) is refreshed at most this often. */
export const LIVE_SUMMARY_REFRESH_MS = 5_000;

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

  const refresh = useCallback(() => {
    setView({ key: searchKey, tail: initialTail<LogEntry>() });
    listRef.current?.scrollToTop();
    void queryClient.resetQueries({ queryKey: logsKey(filters) });
    void queryClient.refetchQueries({ queryKey: ['logs', 'summary', filters] });
  }, [searchKey, filters, queryClient]);

  // Lines written while the tail was not listening (Live was off, or the socket lost messages and
  // the hub said `resync`) are fetched over HTTP and merged by id: every line shows exactly once.
  const latest = useRef({ rows, tail, fetched, searchKey, filters, refresh });
  useEffect(() => {
    latest.current = { rows, tail, fetched, searchKey, filters, refresh };
  });
  const [gapFailed, setGapFailed] = useState(false);
  const runFill = async (from: GapMode) => {
    const at = latest.current;
    if (at.fetched === undefined) return; // the first page is still loading: it is the newest anyway
    // 'shown': the list was complete up to its newest line when the hole opened (Live off/on).
    // 'pages': messages were lost at an unknown point, so everything since the first fetch is checked.
    const candidates = from === 'shown' ? [at.tail.pending[0], at.rows[0]] : [at.fetched[0]?.items[0]];
    const boundary = candidates.filter((r): r is LogEntry => r !== undefined).sort(compareNewestFirst)[0] ?? null;
    const known = new Set<number>(at.rows.map((r) => r.id));
    for (const r of at.tail.pending) known.add(r.id);
    try {
      const result = await fetchGap((cursor) => fetchLogPage(at.filters, cursor), known, boundary);
      if (latest.current.searchKey !== at.searchKey) return; // another view by now
      setGapFailed(false);
      if (result.kind === 'too-big') latest.current.refresh();
      else if (result.rows.length) {
        const shown = new Set<number>(latest.current.rows.map((r) => r.id));
        setTail((t) => mergeFetched(t, result.rows, shown));
      }
    } catch {
      if (latest.current.searchKey === at.searchKey) setGapFailed(true);
    }
  };
  const runFillRef = useRef(runFill);
  useEffect(() => {
    runFillRef.current = runFill;
  });
  const coalescer = useRef<((mode: GapMode) => Promise<void>) | null>(null);
  const fillGap = useCallback((mode: GapMode) => {
    coalescer.current ??= createGapCoalescer((m) => runFillRef.current(m));
    return coalescer.current(mode);
  }, []);

  // The summary (counts, "latest error") follows live rows, at most every few seconds.
  const summaryRefetch = summary.refetch;
  const summaryThrottle = useRef(createThrottle(() => {}, LIVE_SUMMARY_REFRESH_MS));
  useEffect(() => {
    const t = createThrottle(() => void summaryRefetch(), LIVE_SUMMARY_REFRESH_MS);
    summaryThrottle.current = t;
    return () => t.cancel();
  }, [summaryRefetch, summaryThrottle]);

  const onMessage = useCallback(
    (m: TopicMessage) => {
      if (m.type === 'event' && isLogEntry(m.data)) {
        const row = m.data;
        setTail((t) => receive(t, [row]));
        summaryThrottle.current.call();
      } else if (m.type === 'subscribed') {
        void fillGap('shown');
      } else if (m.type === 'resync') {
        void fillGap('pages');
        void summaryRefetch();
      }
    },
    [setTail, fillGap, summaryRefetch, summaryThrottle],
  );
  const liveOn = live && liveFilter !== null;
  useTopic(liveOn ? 'logs' : null, onMessage, liveFilter ?? undefined);
  // Live switched on (again): fill what was written while it was off.
  useEffect(() => {
    if (liveOn) void fillGap('shown');
  }, [liveOn, fillGap]);

  const apply = useCallback((f: LogFilters) => setParams(filtersToSearch(f)), [setParams]);
  const pivot = useCallback((field: IdField, value: string) => apply(pivotFilters(field, value)), [apply]);

  const top = summary.data;
  const loggers = useMemo(() => (top?.top_loggers ?? []).map((x) => x.name).filter(Boolean), [top]);
  const events = useMemo(() => (top?.top_events ?? []).map((x) => x.name).filter(Boolean), [top]);
  const pending = tail.pending.length;
  const paused = isPaused(tail);
  const phone = useMediaQuery('(max-width: 48em)') ?? false;
  // The summary is collapsible everywhere; on short screens it starts closed so the list gets the room.
  const [summaryOpen, setSummaryOpen] = useState<boolean | null>(null);
  const summaryShown = summaryOpen ?? (!phone && window.innerHeight >= 900);
  const summaryProblem = summary.isError ? describeLoadError(summary.error) : null;
  const summaryCards = (
    <SummaryCards
      summary={top}
      updatedAt={summary.dataUpdatedAt}
      problem={summaryProblem?.message ?? null}
      onLevel={(l: Level) => apply({ ...filters, levels: [l] })}
      onLogger={(name) => apply({ ...filters, logger: name })}
      onEvent={(name) => apply({ ...filters, event: name })}
      onPivot={pivot}
    />
  );
  const listProblem = pages.isError ? describeLoadError(pages.error) : null;
  const rangeIsAll = !filters.range && !filters.start && !filters.end;

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
              <Badge size="sm" variant="dot" color={!paused ? (connection === 'open' ? 'teal' : 'yellow') : 'gray'} data-testid="live-state">
                {!paused ? (connection === 'open' ? 'live' : connection) : 'paused'}
              </Badge>
            )}
            <Button size="xs" variant="default" leftSection={<IconRefresh size={16} stroke={1.6} />} onClick={refresh} loading={pages.isRefetching} data-testid="logs-refresh">
              Refresh
            </Button>
            <ExportButton filters={filters} disabled={top?.total === 0} />
          </Group>
        }
      />
      <FilterBar applied={filters} onApply={apply} loggers={loggers} events={events} />
      <Collapse expanded={summaryShown}>{summaryCards}</Collapse>
      <Group justify="space-between" gap="xs" wrap="wrap">
        <Text size="xs" c="dimmed" data-testid="logs-count" style={{ fontVariantNumeric: 'tabular-nums' }}>
          {pages.isPending ? 'Loading…' : `${rows.length.toLocaleString()} line${rows.length === 1 ? '' : 's'} loaded${pages.hasNextPage ? ' (scroll for older)' : ''}`}
          {top ? ` · ${top.total.toLocaleString()} matching` : ''}
          {top && (liveOn || summaryProblem) ? ` (as of ${clockTime(summary.dataUpdatedAt)})` : ''}
          {' · times in local time ('}
          {localZoneLabel()}
          {')'}
        </Text>
        <Group gap={4}>
          <Button
            size="compact-xs"
            variant="subtle"
            leftSection={<IconChartBar size={14} />}
            onClick={() => setSummaryOpen(!summaryShown)}
            aria-expanded={summaryShown}
            data-testid="summary-toggle"
          >
            {summaryShown ? 'Hide summary' : 'Summary'}
          </Button>
          {hasAnyFilter(filters) && (
            <Button size="compact-xs" variant="subtle" onClick={() => apply(EMPTY_FILTERS)}>
              Clear all filters
            </Button>
          )}
        </Group>
      </Group>
      {gapFailed && liveOn && (
        <Alert color="yellow" icon={<IconAlertTriangle size={18} />} role="alert" data-testid="logs-gap-failed" py={6}>
          <Group gap="xs" justify="space-between">
            <Text size="xs">Lines written while the tail was paused or disconnected could not be loaded: some may be missing.</Text>
            <Button size="compact-xs" variant="light" onClick={refresh}>
              Reload the list
            </Button>
          </Group>
        </Alert>
      )}
      {pages.isPending ? (
        <Center py="xl" role="status" aria-live="polite">
          <Group gap="xs">
            <Loader size="sm" />
            <Text size="sm" c="dimmed">
              Loading log lines…
            </Text>
          </Group>
        </Center>
      ) : listProblem && rows.length === 0 ? (
        <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Could not load logs" role="alert" data-testid="logs-error">
          <Text size="sm" data-testid="logs-error-message">
            {listProblem.message}
          </Text>
          {listProblem.correlationId && (
            <Text size="xs" c="dimmed" ff="monospace">
              ref {listProblem.correlationId}
            </Text>
          )}
          <Button size="xs" variant="light" mt="sm" onClick={() => void pages.refetch()} loading={pages.isFetching}>
            {listProblem.retrying ? 'Retry now' : 'Retry'}
          </Button>
        </Alert>
      ) : rows.length === 0 ? (
        <Center py="xl" data-testid="logs-empty">
          <Stack gap={4} align="center">
            <Text size="sm" fw={600}>
              No log lines match these filters
            </Text>
            <Text size="xs" c="dimmed">
              {liveOn
                ? 'Live tail is on: new matching lines will appear here.'
                : rangeIsAll
                  ? hasAnyFilter(filters)
                    ? 'Clear or loosen the filters.'
                    : 'No lines have been ingested yet.'
                  : 'Widen the time range or clear filters.'}
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
          onHold={() => setTail((t) => hold(t))}
          onRelease={() => setTail((t) => release(t))}
          pendingCount={pending}
          onJumpToTop={() => setTail((t) => jumpToTop(t))}
        />
      )}
    </Stack>
  );
}
