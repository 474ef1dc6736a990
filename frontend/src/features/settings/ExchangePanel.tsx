import { Alert, Badge, Button, Group, Stack, Table, Text } from '@mantine/core';
import { IconPlugConnected } from '@tabler/icons-react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api } from '../../api';
import { unwrap } from '../../api/errors';
import type { components } from '../../api/schema';
import { QueryState } from '../../app/QueryState';
import { useCurrentUser } from '../auth/useSession';

type ExchangeStatus = components['schemas']['ExchangeStatus'];
type ConnectionTest = components['schemas']['ConnectionTest'];

/** Which exchange the engine trades on and whether live credentials are present (never their values). */
export function ExchangePanel() {
  const user = useCurrentUser();
  const status = useQuery({ queryKey: ['exchange-status'], queryFn: () => unwrap(api.GET('/api/exchange/status')) });
  const probe = useMutation({ mutationFn: () => unwrap(api.POST('/api/exchange/test')) });
  return (
    <QueryState query={status} label="exchange status">
      {(s: ExchangeStatus) => (
        <Stack gap="sm">
          <Table variant="vertical" layout="fixed" withRowBorders={false} verticalSpacing={6} styles={{ th: { background: 'transparent', paddingLeft: 0 } }}>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={170} c="dimmed" fw={400}>Active for live mode</Table.Th>
                <Table.Td data-testid="exchange-active">
                  {s.live_configured ? <Badge color="red" variant="light">Delta Exchange · {s.delta_env}</Badge> : <Badge variant="light">Paper only</Badge>}
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th c="dimmed" fw={400}>Live trading switch</Table.Th>
                <Table.Td>
                  <Badge color={s.live_trading_enabled ? 'red' : 'gray'} variant="light">{s.live_trading_enabled ? 'enabled' : 'disabled'}</Badge>
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th c="dimmed" fw={400}>API credentials</Table.Th>
                <Table.Td>{s.credentials_present ? 'present (not shown)' : 'not configured'}</Table.Td>
              </Table.Tr>
              {s.base_url ? (
                <Table.Tr>
                  <Table.Th c="dimmed" fw={400}>Base URL override</Table.Th>
                  <Table.Td style={{ wordBreak: 'break-all' }}>{s.base_url}</Table.Td>
                </Table.Tr>
              ) : null}
            </Table.Tbody>
          </Table>
          <Text size="sm" c="dimmed">
            Paper strategies always use the built-in simulator. Live mode needs EXCHANGE=delta, credentials and LIVE_TRADING_ENABLED=true on the server; a live strategy never falls back to paper.
          </Text>
          {user.role === 'admin' ? (
            <Group>
              <Button leftSection={<IconPlugConnected size={16} />} variant="default" loading={probe.isPending} onClick={() => probe.mutate()}>
                Test connection
              </Button>
            </Group>
          ) : null}
          {probe.data ? <ProbeResult result={probe.data} /> : null}
        </Stack>
      )}
    </QueryState>
  );
}

function ProbeResult({ result }: { result: ConnectionTest }) {
  return (
    <Alert color={result.ok ? 'teal' : 'red'} title={result.ok ? 'Connection OK' : 'Connection failed'} data-testid="exchange-probe">
      <Text size="sm">{result.detail}</Text>
      {result.clock_skew_s != null ? <Text size="sm">Clock skew: {result.clock_skew_s.toFixed(2)} s</Text> : null}
      {result.rate_limit_remaining != null ? <Text size="sm">Rate-limit budget left: {result.rate_limit_remaining} units</Text> : null}
    </Alert>
  );
}
