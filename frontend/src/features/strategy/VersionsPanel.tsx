import { Button, Code, Group, Modal, Paper, ScrollArea, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { QueryState } from '../../app/QueryState';
import { Timestamp } from '../../app/Timestamp';
import { listVersions, versionsKey } from './api';
import type { StrategyVersionRead } from './types';

/** Saved versions, newest first; view one (as text) and optionally load it into the form. */
export function VersionsPanel({ id, current, onLoad }: { id: number; current: number; onLoad?: (config: Record<string, unknown>) => void }) {
  const query = useQuery({ queryKey: versionsKey(id), queryFn: () => listVersions(id) });
  const [viewing, setViewing] = useState<StrategyVersionRead | null>(null);
  return (
    <Paper withBorder p="md">
      <Stack gap="xs">
        <Title order={2} size="h5">
          Versions
        </Title>
        <QueryState query={query} label="versions">
          {(rows) => (
            <ScrollArea.Autosize mah={260}>
              <Table verticalSpacing={4} aria-label="Versions" data-testid="versions">
                <Table.Tbody>
                  {rows.map((v) => (
                    <Table.Tr key={v.version}>
                      <Table.Td ff="monospace" fw={v.version === current ? 700 : undefined}>
                        v{v.version}
                      </Table.Td>
                      <Table.Td>
                        <Timestamp value={v.created_at} size="xs" />
                        <Text size="xs" c="dimmed">
                          by {v.created_by}
                        </Text>
                      </Table.Td>
                      <Table.Td ta="right">
                        <Button size="compact-xs" variant="subtle" onClick={() => setViewing(v)} aria-label={`View version ${v.version}`}>
                          View
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </ScrollArea.Autosize>
          )}
        </QueryState>
      </Stack>
      <Modal opened={viewing !== null} onClose={() => setViewing(null)} title={viewing ? `Version ${viewing.version}` : ''} size="lg">
        {viewing && (
          <Stack>
            <Code block style={{ maxHeight: 420, overflow: 'auto' }}>
              {JSON.stringify(viewing.config, null, 2)}
            </Code>
            {onLoad && (
              <Group justify="flex-end">
                <Button
                  variant="light"
                  onClick={() => {
                    onLoad(viewing.config);
                    setViewing(null);
                  }}
                >
                  Load into the form
                </Button>
              </Group>
            )}
          </Stack>
        )}
      </Modal>
    </Paper>
  );
}
