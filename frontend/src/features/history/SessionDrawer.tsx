import { Badge, Drawer, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { QueryState } from '../../app/QueryState';
import { Timestamp } from '../../app/Timestamp';
import { normalizeDecimal } from '../analytics/money';
import { fmtNum, fmtSigned, humanize, pnlColor } from '../strategy/format';
import { ModeBadge, StateBadge } from '../strategy/StrategyBadges';
import type { SessionDetail } from '../strategy/types';
import { getSession, sessionKey } from './api';

/** Exact equality of two decimal strings ("0.0253" = "0.025300"); never through a float. */
const sameDecimal = (a: string, b: string) => (normalizeDecimal(a) ?? a) === (normalizeDecimal(b) ?? b);

export function SessionDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const query = useQuery({ queryKey: sessionKey(id ?? ''), queryFn: () => getSession(id!), enabled: id !== null });
  return (
    <Drawer
      opened={id !== null}
      onClose={onClose}
      position="right"
      size="min(920px, 100%)"
      title={<Text fw={650}>Session {id ? id.slice(0, 8) : ''}</Text>}
      data-testid="session-drawer"
    >
      {id && <QueryState query={query} label="session">{(d) => <Detail d={d} />}</QueryState>}
    </Drawer>
  );
}

function Money({ label, value, color, testId }: { label: string; value: string; color?: string; testId?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text ff="monospace" fw={700} c={color} data-testid={testId}>
        {value}
      </Text>
    </div>
  );
}

function Detail({ d }: { d: SessionDetail }) {
  const s = d.session;
  // Gross and net are booked when the session closes; until then the API sends null and the
  // credit, debit and fees are what the session has received and paid so far.
  const booked = s.gross_pnl !== null && s.net_pnl !== null;
  return (
    <Stack gap="md">
      <Group gap="xs" wrap="wrap">
        <Text fw={600}>{s.strategy_name}</Text>
        <Badge variant="default" ff="monospace">
          v{s.strategy_version}
        </Badge>
        <StateBadge state={s.status} />
        <ModeBadge mode={s.mode} />
        <Badge variant="default">{s.underlying}</Badge>
        {s.exit_reason && <Badge variant="outline">{humanize(s.exit_reason)}</Badge>}
      </Group>
      <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="xs">
        <div>
          <Text size="xs" c="dimmed">
            Opened
          </Text>
          <Timestamp value={s.opened_at} />
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Closed
          </Text>
          <Timestamp value={s.closed_at} />
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Expiry
          </Text>
          <Timestamp value={s.expiry} />
        </div>
        <div>
          <Text size="xs" c="dimmed">
            Session id
          </Text>
          <Text size="xs" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
            {s.id}
          </Text>
        </div>
      </SimpleGrid>
      {s.error && (
        <Text c="red" size="sm">
          {s.error}
        </Text>
      )}

      <Paper withBorder p="sm">
        <Title order={3} size="h6" mb="xs">
          PnL breakdown (USD)
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 5 }} spacing="xs" data-testid="pnl-breakdown">
          <Money label="Credit" value={fmtNum(s.credit, 4)} />
          <Money label="Debit" value={fmtNum(s.debit, 4)} />
          <Money label="Gross" value={fmtSigned(s.gross_pnl, 4)} color={pnlColor(s.gross_pnl)} testId="gross-pnl" />
          <Money label={booked ? 'Fees (subtracted)' : 'Fees paid so far'} value={fmtNum(s.fees, 4)} testId="session-fees" />
          <Money label="Net" value={fmtSigned(s.net_pnl, 4)} color={pnlColor(s.net_pnl)} testId="net-pnl" />
        </SimpleGrid>
        {!booked && (
          <Text size="xs" c="dimmed" mt={4} data-testid="not-booked">
            Not closed yet: credit, debit and fees so far; gross and net PnL are booked at close. Unrealised PnL needs marks: see the Live tab.
          </Text>
        )}
        {!sameDecimal(d.fills_fees, s.fees) && (
          <Text size="xs" c="orange" mt={4} data-testid="fees-mismatch">
            Sum of fill fees {fmtNum(d.fills_fees, 4)} differs from session fees {fmtNum(s.fees, 4)}.
          </Text>
        )}
      </Paper>

      <Section title="Legs">
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing={4} aria-label="Legs" style={{ whiteSpace: 'nowrap' }}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Symbol</Table.Th>
                <Table.Th ta="right">Strike</Table.Th>
                <Table.Th ta="right">Qty in/out</Table.Th>
                <Table.Th ta="right">Entry</Table.Th>
                <Table.Th ta="right">Exit</Table.Th>
                <Table.Th ta="right">Fees</Table.Th>
                <Table.Th ta="right">Net</Table.Th>
                <Table.Th>Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.legs.map((l) => (
                <Table.Tr key={l.id}>
                  <Table.Td ff="monospace">{l.symbol}</Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {fmtNum(l.strike, 0)}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {l.entry_qty}/{l.exit_qty}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {fmtNum(l.entry_price)}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {fmtNum(l.exit_price)}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {fmtNum(l.fees, 4)}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace" c={l.net_pnl === null ? 'dimmed' : pnlColor(l.net_pnl)} data-testid="leg-net">
                    {l.net_pnl === null ? 'open' : fmtSigned(l.net_pnl, 4)}
                  </Table.Td>
                  <Table.Td>{l.status}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Section>

      <Section title={`Orders (${d.orders.length})`}>
        <Table.ScrollContainer minWidth={760}>
          <Table verticalSpacing={4} aria-label="Orders" style={{ whiteSpace: 'nowrap' }}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Created</Table.Th>
                <Table.Th>Symbol</Table.Th>
                <Table.Th>Side · purpose</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th ta="right">Filled/size</Table.Th>
                <Table.Th ta="right">Limit</Table.Th>
                <Table.Th ta="right">Avg fill</Table.Th>
                <Table.Th>State</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.orders.map((o) => (
                <Table.Tr key={o.id}>
                  <Table.Td>
                    <Timestamp value={o.created_at} size="xs" />
                  </Table.Td>
                  <Table.Td ff="monospace">{o.symbol}</Table.Td>
                  <Table.Td>
                    {o.side} · {humanize(o.purpose)} #{o.attempt}
                  </Table.Td>
                  <Table.Td>
                    {o.order_type} {o.time_in_force}
                    {o.reduce_only ? ' · reduce-only' : ''}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {o.filled_size}/{o.size}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {fmtNum(o.limit_price)}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {fmtNum(o.avg_fill_price)}
                  </Table.Td>
                  <Table.Td>
                    {o.state}
                    {o.error && (
                      <Text size="xs" c="red">
                        {o.error}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Section>

      <Section title={`Fills (${d.fills.length})`}>
        <Table.ScrollContainer minWidth={600}>
          <Table verticalSpacing={4} aria-label="Fills" style={{ whiteSpace: 'nowrap' }}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Symbol</Table.Th>
                <Table.Th>Side</Table.Th>
                <Table.Th ta="right">Size</Table.Th>
                <Table.Th ta="right">Price</Table.Th>
                <Table.Th ta="right">Fee</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {d.fills.map((f) => (
                <Table.Tr key={f.id}>
                  <Table.Td>
                    <Timestamp value={f.created_at} size="xs" />
                  </Table.Td>
                  <Table.Td ff="monospace">{f.symbol}</Table.Td>
                  <Table.Td>{f.side}</Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {f.size}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {fmtNum(f.price)}
                  </Table.Td>
                  <Table.Td ta="right" ff="monospace">
                    {fmtNum(f.fee, 4)}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </Section>

      <Section title={`Timeline (${d.events.length})`}>
        <Table verticalSpacing={4} aria-label="Event timeline" data-testid="session-timeline">
          <Table.Tbody>
            {d.events.map((e) => (
              <Table.Tr key={e.id}>
                <Table.Td w={170} style={{ verticalAlign: 'top' }}>
                  <Timestamp value={e.timestamp} size="xs" />
                </Table.Td>
                <Table.Td style={{ verticalAlign: 'top' }}>
                  <Group gap={6} wrap="nowrap" align="flex-start">
                    <Badge size="xs" variant="light" color={e.level === 'error' ? 'red' : e.level === 'warning' ? 'yellow' : 'blue'} style={{ flexShrink: 0 }}>
                      {humanize(e.kind)}
                    </Badge>
                    <Text size="sm" style={{ overflowWrap: 'anywhere' }}>
                      {e.message}
                    </Text>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Section>
    </Stack>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Stack gap={4}>
      <Title order={3} size="h6">
        {title}
      </Title>
      {children}
    </Stack>
  );
}
