import { Button, Group, Paper, Stack, Table, Text } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { PageTitle } from '../../app/PageTitle';
import { QueryState } from '../../app/QueryState';
import { Timestamp } from '../../app/Timestamp';
import { useCurrentUser } from '../auth/useSession';
import { STRATEGIES, listStrategies } from './api';
import { ModeBadge, StateBadge } from './StrategyBadges';

export function StrategyList() {
  const admin = useCurrentUser().role === 'admin';
  const navigate = useNavigate();
  const query = useQuery({ queryKey: STRATEGIES, queryFn: listStrategies });
  return (
    <Stack gap="md">
      <PageTitle
        title="Strategies"
        actions={
          admin && (
            <Button component={Link} to="new" leftSection={<IconPlus size={16} />} data-testid="new-strategy">
              New strategy
            </Button>
          )
        }
      />
      <QueryState query={query} label="strategies">
        {(rows) =>
          rows.length === 0 ? (
            <Paper withBorder p="lg">
              <Text c="dimmed">No strategies yet.{admin ? ' Create one to start trading (paper mode by default).' : ''}</Text>
            </Paper>
          ) : (
            <Paper withBorder>
              <Table.ScrollContainer minWidth={640}>
                <Table highlightOnHover verticalSpacing="sm" aria-label="Strategies">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Underlying</Table.Th>
                      <Table.Th>Mode</Table.Th>
                      <Table.Th>State</Table.Th>
                      <Table.Th ta="right">Version</Table.Th>
                      <Table.Th>Updated</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {rows.map((s) => (
                      <Table.Tr
                        key={s.id}
                        tabIndex={0}
                        style={{ cursor: 'pointer' }}
                        onClick={() => void navigate(String(s.id))}
                        onKeyDown={(e) => {
                          if (e.key === 'Enter' || e.key === ' ') {
                            e.preventDefault();
                            void navigate(String(s.id));
                          }
                        }}
                        data-testid={`strategy-row-${s.id}`}
                      >
                        <Table.Td>
                          <Text fw={600} size="sm">
                            {s.name}
                          </Text>
                          {s.detail && (
                            <Text size="xs" c="dimmed" lineClamp={1}>
                              {s.detail}
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td ff="monospace">{s.underlying}</Table.Td>
                        <Table.Td>
                          <ModeBadge mode={s.mode} />
                        </Table.Td>
                        <Table.Td>
                          <StateBadge state={s.state} />
                        </Table.Td>
                        <Table.Td ta="right" ff="monospace">
                          v{s.version}
                          {s.run_version !== null && s.run_version !== s.version && (
                            <Text span size="xs" c="dimmed">
                              {' '}
                              (running v{s.run_version})
                            </Text>
                          )}
                        </Table.Td>
                        <Table.Td>
                          <Timestamp value={s.updated_at} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Paper>
          )
        }
      </QueryState>
      {(query.data?.length ?? 0) > 0 && (
        <Group>
          <Text size="xs" c="dimmed">
            Enter or click a row to open it.
          </Text>
        </Group>
      )}
    </Stack>
  );
}
