import { Alert, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconEye } from '@tabler/icons-react';
import { Timestamp } from '../../app/Timestamp';
import { fmtNum } from './format';
import type { PreviewLeg, PreviewResult } from './types';

function Stat({ label, value, testId, color }: { label: string; value: string; testId?: string; color?: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">
        {label}
      </Text>
      <Text size="sm" ff="monospace" fw={600} data-testid={testId} c={color}>
        {value}
      </Text>
    </div>
  );
}

function LegRow({ leg }: { leg: PreviewLeg }) {
  return (
    <Table.Tr>
      <Table.Td>
        <Text size="sm" fw={600} c={leg.kind === 'call' ? 'grape' : 'indigo'} tt="capitalize">
          {leg.kind}
        </Text>
      </Table.Td>
      <Table.Td ff="monospace" ta="right">
        {fmtNum(leg.strike, 0)}
      </Table.Td>
      <Table.Td ff="monospace" ta="right">
        {fmtNum(leg.best_bid)}
      </Table.Td>
      <Table.Td ff="monospace" ta="right">
        {fmtNum(leg.mark)}
      </Table.Td>
      <Table.Td ff="monospace" ta="right">
        {fmtNum(leg.delta, 3)}
      </Table.Td>
    </Table.Tr>
  );
}

/** What the (unsaved) form would trade right now. */
export function PreviewPanel({
  result,
  loading,
  onPreview,
  stale,
}: {
  result: PreviewResult | null;
  loading: boolean;
  onPreview: () => void;
  stale: boolean;
}) {
  return (
    <Paper withBorder p="md" data-testid="preview-panel">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={2} size="h5">
            Preview
          </Title>
          <Button size="xs" variant="light" leftSection={<IconEye size={14} />} onClick={onPreview} loading={loading} data-testid="preview-button">
            Preview now
          </Button>
        </Group>
        {!result && (
          <Text size="sm" c="dimmed">
            The strikes this form would pick right now, from the live chain. Nothing is traded.
          </Text>
        )}
        {result && !result.ok && (
          <Alert color="yellow" title="No trade right now" data-testid="preview-message">
            <Text size="sm">{result.message}</Text>
          </Alert>
        )}
        {result && result.ok && (
          <>
            {stale && (
              <Text size="xs" c="orange">
                The form changed since this preview.
              </Text>
            )}
            <Text size="sm" data-testid="preview-message">
              {result.message}
            </Text>
            <SimpleGrid cols={2} spacing="xs">
              <div>
                <Text size="xs" c="dimmed">
                  Expiry
                </Text>
                <Timestamp value={result.expiry ?? null} />
              </div>
              <Stat label="Spot" value={fmtNum(result.spot)} />
            </SimpleGrid>
            <Table.ScrollContainer minWidth={300}>
              <Table verticalSpacing={4} aria-label="Preview legs" data-testid="preview-legs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Leg</Table.Th>
                    <Table.Th ta="right">Strike</Table.Th>
                    <Table.Th ta="right">Bid</Table.Th>
                    <Table.Th ta="right">Mark</Table.Th>
                    <Table.Th ta="right">Delta</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {result.call && <LegRow leg={result.call} />}
                  {result.put && <LegRow leg={result.put} />}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <SimpleGrid cols={2} spacing="xs">
              <Stat label="Credit (USD)" value={fmtNum(result.credit, 4)} testId="preview-credit" color="teal" />
              <Stat label="Credit per unit" value={fmtNum(result.credit_per_unit)} />
              <Stat label="Breakeven upper" value={fmtNum(result.breakeven_upper)} />
              <Stat label="Breakeven lower" value={fmtNum(result.breakeven_lower)} />
              <Stat label="Max-loss level (call+put)" value={fmtNum(result.max_loss_premium)} color="red" />
              <Stat label="Take-profit level (call+put)" value={fmtNum(result.take_profit_premium)} />
              <Stat label="Quantity" value={result.quantity != null ? `${result.quantity} contract${result.quantity === 1 ? '' : 's'}` : '—'} />
              <Stat label="Contract value" value={result.contract_value ?? '—'} />
            </SimpleGrid>
          </>
        )}
      </Stack>
    </Paper>
  );
}
