import { Button, Group, Pagination, Paper, Select, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { IconFilterOff } from '@tabler/icons-react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { ExportCsvButton } from '../../app/ExportCsvButton';
import { PageTitle } from '../../app/PageTitle';
import { QueryState } from '../../app/QueryState';
import { Timestamp } from '../../app/Timestamp';
import { STRATEGIES, listStrategies } from '../strategy/api';
import { fmtNum, fmtSigned, humanize, pnlColor } from '../strategy/format';
import { ModeBadge, StateBadge } from '../strategy/StrategyBadges';
import { DateRangeFilter } from './DateRangeFilter';
import { EMPTY_FILTERS, fetchSessionsCsv, listSessions, sessionsKey, type SessionFilters } from './api';
import { SessionDrawer } from './SessionDrawer';

const PAGE_SIZE = 25;

export default function HistoryPage() {
  const [filters, setFilters] = useState<SessionFilters>(EMPTY_FILTERS);
  const [page, setPage] = useState(1);
  const [params, setParams] = useSearchParams();
  const openId = params.get('session');
  const strategies = useQuery({ queryKey: STRATEGIES, queryFn: listStrategies });
  const query = useQuery({
    queryKey: sessionsKey(filters, page, PAGE_SIZE),
    queryFn: () => listSessions(filters, page, PAGE_SIZE),
    placeholderData: keepPreviousData,
  });
  const tbody = useRef<HTMLTableSectionElement>(null);

  const set = (k: keyof SessionFilters, v: string | null) => {
    setFilters((f) => ({ ...f, [k]: v ?? '' }));
    setPage(1);
  };
  const open = (id: string) => setParams({ session: id });
  const close = () => setParams({}, { replace: true });

  const onRowKey = (e: React.KeyboardEvent<HTMLTableRowElement>, id: string) => {
    const row = e.currentTarget;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open(id);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      (row.nextElementSibling as HTMLElement | null)?.focus();
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      (row.previousElementSibling as HTMLElement | null)?.focus();
    } else if (e.key === 'Home') {
      e.preventDefault();
      (tbody.current?.firstElementChild as HTMLElement | null)?.focus();
    } else if (e.key === 'End') {
      e.preventDefault();
      (tbody.current?.lastElementChild as HTMLElement | null)?.focus();
    }
  };

  const active = Object.values(filters).some(Boolean);
  return (
    <Stack gap="md">
      <PageTitle
        title="History"
        actions={
          <Group gap="xs" wrap="nowrap">
            <ExportCsvButton fetchCsv={(onProgress, signal) => fetchSessionsCsv(filters, onProgress, signal)} />
          </Group>
        }
      />
      <Paper withBorder p="sm">
        <SimpleGrid cols={{ base: 2, sm: 3, lg: 6 }} spacing="xs">
          <Select
            label="Strategy"
            placeholder="All"
            clearable
            searchable
            data={(strategies.data ?? []).map((s) => ({ value: String(s.id), label: s.name }))}
            value={filters.strategy_id || null}
            onChange={(v) => set('strategy_id', v)}
            data-testid="filter-strategy"
          />
          <Select
            label="Status"
            placeholder="All"
            clearable
            data={['entering', 'open', 'exiting', 'closed', 'error']}
            value={filters.status || null}
            onChange={(v) => set('status', v)}
          />
          <Select label="Underlying" placeholder="All" clearable data={['BTC', 'ETH']} value={filters.underlying || null} onChange={(v) => set('underlying', v)} />
          <Select
            label="Mode"
            placeholder="All"
            clearable
            data={[
              { value: 'paper', label: 'Paper' },
              { value: 'live', label: 'Live' },
            ]}
            value={filters.mode || null}
            onChange={(v) => set('mode', v)}
          />
          <DateRangeFilter
            start={filters.start}
            end={filters.end}
            onChange={(start, end) => {
              setFilters((f) => ({ ...f, start, end }));
              setPage(1);
            }}
          />
        </SimpleGrid>
        {active && (
          <Button
            variant="subtle"
            size="xs"
            mt="xs"
            leftSection={<IconFilterOff size={14} />}
            onClick={() => {
              setFilters(EMPTY_FILTERS);
              setPage(1);
            }}
          >
            Clear filters
          </Button>
        )}
      </Paper>
      <QueryState query={query} label="sessions">
        {(data) => (
          <Stack gap="sm">
            <Paper withBorder>
              <Table.ScrollContainer minWidth={900}>
                <Table highlightOnHover verticalSpacing="xs" aria-label="Sessions" data-testid="sessions-table" style={{ opacity: query.isPlaceholderData ? 0.6 : 1 }}>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Opened</Table.Th>
                      <Table.Th>Strategy</Table.Th>
                      <Table.Th>Mode</Table.Th>
                      <Table.Th>Status</Table.Th>
                      <Table.Th>Exit reason</Table.Th>
                      <Table.Th ta="right">Credit (USD)</Table.Th>
                      <Table.Th ta="right">Fees (USD)</Table.Th>
                      <Table.Th ta="right">Net PnL (USD)</Table.Th>
                      <Table.Th>Closed</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody ref={tbody}>
                    {data.items.length === 0 && (
                      <Table.Tr>
                        <Table.Td colSpan={9}>
                          {/* sticky: stays in view on a phone, where the wide table scrolls sideways */}
                          <Text c="dimmed" size="sm" py="md" ta="center" maw="calc(100vw - 48px)" style={{ position: 'sticky', left: 0 }}>
                            {active ? 'No sessions match these filters.' : 'No sessions yet.'}
                          </Text>
                        </Table.Td>
                      </Table.Tr>
                    )}
                    {data.items.map((s) => (
                      <Table.Tr
                        key={s.id}
                        tabIndex={0}
                        aria-label={`Session of ${s.strategy_name}, ${s.status}, ${s.net_pnl === null ? `not closed, fees paid ${s.fees} USD` : `net ${s.net_pnl} USD`}`}
                        onClick={() => open(s.id)}
                        onKeyDown={(e) => onRowKey(e, s.id)}
                        style={{ cursor: 'pointer' }}
                        data-testid="session-row"
                        bg={openId === s.id ? 'var(--mantine-primary-color-light)' : undefined}
                      >
                        <Table.Td>
                          <Timestamp value={s.opened_at ?? s.created_at} />
                        </Table.Td>
                        <Table.Td miw={160}>
                          <Text size="sm" fw={600} lineClamp={1} title={s.strategy_name} data-testid="session-strategy-name">
                            {s.strategy_name}
                          </Text>
                          <Text size="xs" c="dimmed" ff="monospace">
                            {s.underlying} · v{s.strategy_version}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <ModeBadge mode={s.mode} />
                        </Table.Td>
                        <Table.Td>
                          <StateBadge state={s.status} />
                        </Table.Td>
                        <Table.Td>{humanize(s.exit_reason)}</Table.Td>
                        <Table.Td ta="right" ff="monospace">
                          {fmtNum(s.credit, 4)}
                        </Table.Td>
                        <Table.Td ta="right" ff="monospace">
                          {fmtNum(s.fees, 4)}
                        </Table.Td>
                        {/* net is booked at close (null until then): no realised figure for a session still open */}
                        <Table.Td ta="right" ff="monospace" fw={600} c={s.net_pnl === null ? 'dimmed' : pnlColor(s.net_pnl)}>
                          {s.net_pnl === null ? 'open' : fmtSigned(s.net_pnl, 4)}
                        </Table.Td>
                        <Table.Td>
                          <Timestamp value={s.closed_at} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Paper>
            <Group justify="space-between" wrap="wrap">
              <Text size="sm" c="dimmed">
                {data.total} session{data.total === 1 ? '' : 's'} · ↑/↓ to move, Enter to open
              </Text>
              {data.pages > 1 && <Pagination total={data.pages} value={page} onChange={setPage} size="sm" aria-label="Pages" />}
            </Group>
          </Stack>
        )}
      </QueryState>
      <SessionDrawer id={openId} onClose={close} />
    </Stack>
  );
}
