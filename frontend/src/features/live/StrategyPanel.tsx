import { Alert, Badge, Group, Paper, SimpleGrid, Stack, Table, Text, Timeline, Title } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { QueryState } from '../../app/QueryState';
import { Timestamp } from '../../app/Timestamp';
import { fmtNum, fmtPct, fmtSigned, formatCountdown, humanize, pnlColor } from '../strategy/format';
import { ModeBadge, StateBadge } from '../strategy/StrategyBadges';
import { Controls } from './Controls';
import { LevelsGauge } from './LevelsGauge';
import { panelFigures, versionLabel, type Runtime } from './runtime';
import { PnlSparkline } from './Sparkline';
import { remaining, useNow, useRuntime, type PnlPoint } from './useRuntime';

function Stat({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600} style={{ letterSpacing: '0.03em' }}>
        {label}
      </Text>
      <Text size="lg" ff="monospace" fw={700} data-testid={testId} style={{ whiteSpace: 'nowrap' }}>
        {children}
      </Text>
    </div>
  );
}

function Countdowns({ runtime }: { runtime: Runtime }) {
  const now = useNow(1000);
  const c = runtime.countdowns;
  const item = (label: string, s: number | null, testId: string) => (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="md" ff="monospace" fw={600} data-testid={testId} c={s === null ? 'dimmed' : undefined}>
        {formatCountdown(remaining(s, runtime.receivedAt, now))}
      </Text>
    </div>
  );
  return (
    <SimpleGrid cols={3} spacing="xs" data-testid="countdowns">
      {item('To entry', c.to_entry_s, 'countdown-entry')}
      {item('To exit', c.to_exit_s, 'countdown-exit')}
      {item('To expiry', c.to_expiry_s, 'countdown-expiry')}
    </SimpleGrid>
  );
}

export function StrategyPanel({ id, admin }: { id: number; admin: boolean }) {
  const { query, points } = useRuntime(id);
  return (
    <QueryState query={query} label="runtime">
      {(r) => <RuntimeView runtime={r} admin={admin} points={points} />}
    </QueryState>
  );
}

function RuntimeView({ runtime: r, admin, points }: { runtime: Runtime; admin: boolean; points: PnlPoint[] }) {
  const credit = r.session?.credit ?? null;
  const { active, creditLabel, pnlLabel, pnlUsd, pnlPct, fees } = panelFigures(r);
  return (
    <Stack gap="md" data-testid="strategy-panel" data-strategy-id={r.strategy_id}>
      <Paper withBorder p={{ base: 'sm', sm: 'md' }}>
        <Stack gap="sm">
          <Group justify="space-between" align="flex-start" wrap="wrap" gap="sm">
            <div style={{ minWidth: 0 }}>
              <Group gap="xs" wrap="wrap">
                <Title order={2} size="h4" style={{ overflowWrap: 'anywhere' }}>
                  {r.name}
                </Title>
                <StateBadge state={r.state} size="lg" />
                <ModeBadge mode={r.mode} />
                <Badge variant="default" ff="monospace" data-testid="version-badge">
                  {r.underlying} · {versionLabel(r)}
                </Badge>
              </Group>
              {r.detail && (
                <Text size="sm" c="dimmed" mt={4} data-testid="state-detail">
                  {r.detail}
                </Text>
              )}
            </div>
            {admin && <Controls runtime={r} />}
          </Group>
          {r.session?.error && (
            <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Session error">
              {r.session.error}
            </Alert>
          )}
          <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="sm">
            <Stat label={`Spot ${r.underlying}`} testId="spot">
              {fmtNum(r.spot)}
            </Stat>
            <Stat label={creditLabel} testId="credit">
              {fmtNum(credit, 4)}
            </Stat>
            <div>
              <Text size="xs" c="dimmed" tt="uppercase" fw={600} style={{ letterSpacing: '0.03em' }}>
                {pnlLabel}
              </Text>
              <Text size="lg" ff="monospace" fw={700} c={pnlColor(pnlUsd)} data-testid="pnl">
                {fmtSigned(pnlUsd, 4)}
              </Text>
              {fees !== null && (
                <Text size="xs" c="dimmed" ff="monospace" data-testid="fees-paid">
                  fees {active ? 'paid so far' : 'paid'} {fmtNum(fees, 4)}
                </Text>
              )}
            </div>
            <div>
              <Text size="xs" c="dimmed" tt="uppercase" fw={600} style={{ letterSpacing: '0.03em' }}>
                PnL % of credit
              </Text>
              <Text size="lg" ff="monospace" fw={700} c={pnlColor(pnlPct)} data-testid="pnl-pct">
                {fmtPct(pnlPct, 2, true)}
              </Text>
            </div>
          </SimpleGrid>
          <Countdowns runtime={r} />
        </Stack>
      </Paper>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Paper withBorder p={{ base: 'sm', sm: 'md' }}>
          <Stack gap="xs">
            <Title order={3} size="h6">
              Exit levels
            </Title>
            <LevelsGauge levels={active ? r.levels : null} />
          </Stack>
        </Paper>
        <Paper withBorder p={{ base: 'sm', sm: 'md' }}>
          <Stack gap="xs">
            <Title order={3} size="h6">
              PnL this session
            </Title>
            <PnlSparkline points={points} />
          </Stack>
        </Paper>
      </SimpleGrid>

      <Paper withBorder p={{ base: 'sm', sm: 'md' }}>
        <Stack gap="xs">
          <Title order={3} size="h6">
            Legs
          </Title>
          <LegsTable runtime={r} />
        </Stack>
      </Paper>

      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Paper withBorder p={{ base: 'sm', sm: 'md' }}>
          <Stack gap="xs">
            <Title order={3} size="h6">
              Recent events
            </Title>
            <EventsTimeline runtime={r} />
          </Stack>
        </Paper>
        <Paper withBorder p={{ base: 'sm', sm: 'md' }}>
          <Stack gap="xs">
            <Title order={3} size="h6">
              Open orders
            </Title>
            <OrdersTable runtime={r} />
          </Stack>
        </Paper>
      </SimpleGrid>
    </Stack>
  );
}

function LegsTable({ runtime }: { runtime: Runtime }) {
  if (runtime.legs.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="no-legs">
        No open legs.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={720} type="native">
      <Table verticalSpacing={6} striped aria-label="Open legs" data-testid="legs-table" style={{ whiteSpace: 'nowrap' }}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th style={{ minWidth: 240, width: 240 }}>Symbol</Table.Th>
            <Table.Th ta="right">Strike</Table.Th>
            <Table.Th ta="right">Qty</Table.Th>
            <Table.Th ta="right">Entry</Table.Th>
            <Table.Th ta="right">Mark</Table.Th>
            <Table.Th ta="right">Bid / Ask</Table.Th>
            <Table.Th ta="right">Delta</Table.Th>
            <Table.Th ta="right">PnL (USD)</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runtime.legs.map((l) => (
            <Table.Tr key={l.symbol} data-testid="leg-row">
              <Table.Td>
                <Badge size="xs" variant="light" color={l.kind === 'call' ? 'grape' : 'indigo'} mr={6} style={{ verticalAlign: 'middle' }}>
                  {l.kind}
                </Badge>
                <span style={{ fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 'var(--mantine-font-size-sm)' }}>{l.symbol}</span>
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                {fmtNum(l.strike, 0)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                −{l.quantity}
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                {fmtNum(l.entry_price)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                {fmtNum(l.mark)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace" style={{ whiteSpace: 'nowrap' }}>
                {fmtNum(l.best_bid)} / {fmtNum(l.best_ask)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                {l.delta === null ? '—' : fmtNum(l.delta, 3)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace" c={pnlColor(l.pnl)} fw={600}>
                {fmtSigned(l.pnl, 4)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

const LEVEL_COLOR: Record<string, string> = { error: 'red', warning: 'yellow', info: 'blue' };

export function EventsTimeline({ runtime }: { runtime: Pick<Runtime, 'events'> }) {
  if (runtime.events.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No events yet.
      </Text>
    );
  }
  return (
    <Timeline bulletSize={12} lineWidth={2} data-testid="events-timeline" style={{ maxHeight: 320, overflowY: 'auto' }}>
      {runtime.events.slice(0, 20).map((e, i) => (
        <Timeline.Item key={`${e.timestamp}-${i}`} color={LEVEL_COLOR[e.level] ?? 'gray'} title={<Text size="sm" fw={600}>{humanize(e.kind)}</Text>}>
          <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
            {e.message}
          </Text>
          <Timestamp value={e.timestamp} size="xs" />
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function OrdersTable({ runtime }: { runtime: Runtime }) {
  if (runtime.open_orders.length === 0) {
    return (
      <Text size="sm" c="dimmed" data-testid="no-open-orders">
        No open orders.
      </Text>
    );
  }
  return (
    <Table.ScrollContainer minWidth={480}>
      <Table verticalSpacing={4} aria-label="Open orders">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Symbol</Table.Th>
            <Table.Th>Side</Table.Th>
            <Table.Th ta="right">Filled / size</Table.Th>
            <Table.Th ta="right">Limit</Table.Th>
            <Table.Th>State</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {runtime.open_orders.map((o) => (
            <Table.Tr key={o.client_order_id}>
              <Table.Td ff="monospace">{o.symbol}</Table.Td>
              <Table.Td>
                {o.side} · {humanize(o.purpose)}
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                {o.filled} / {o.size}
              </Table.Td>
              <Table.Td ta="right" ff="monospace">
                {fmtNum(o.limit_price)}
              </Table.Td>
              <Table.Td>{o.state}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

