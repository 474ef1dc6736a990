import { Alert, Badge, Card, Group, SimpleGrid, Stack, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { Timestamp } from '../../app/Timestamp';
import type { LogEntry, LogSummary } from './api';
import { displayLevel, LEVELS, type IdField, type Level } from './filters';
import { IdLink, LEVEL_COLORS } from './LogRow';
import { formatBytes } from '../../app/download';

export interface SummaryCardsProps {
  summary: LogSummary | undefined;
  /** When the summary shown was fetched (ms); 0 = never. */
  updatedAt?: number;
  /** Set when the last refresh failed: the cards say they are not current. */
  problem?: string | null;
  onLevel: (level: Level) => void;
  onLogger: (logger: string) => void;
  onEvent: (event: string) => void;
  onPivot: (field: IdField, value: string) => void;
}

function TopList({ title, items, onPick, testId }: { title: string; items: { name: string; count: number }[]; onPick: (n: string) => void; testId: string }) {
  return (
    <Card withBorder padding="sm" data-testid={testId}>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase" mb={6}>
        {title}
      </Text>
      {items.length === 0 ? (
        <Text size="xs" c="dimmed">
          —
        </Text>
      ) : (
        <Stack gap={2}>
          {items.slice(0, 5).map((it) => {
            const line = (
              <Group justify="space-between" wrap="nowrap" gap="xs">
                <Text size="xs" ff="monospace" truncate="end" fs={it.name ? undefined : 'italic'} c={it.name ? undefined : 'dimmed'}>
                  {it.name || '(none)'}
                </Text>
                <Text size="xs" c="dimmed" style={{ fontVariantNumeric: 'tabular-nums' }}>
                  {it.count.toLocaleString()}
                </Text>
              </Group>
            );
            // Plain-text (RAW) lines have no logger/event, and the API cannot filter on "empty".
            return it.name ? (
              <UnstyledButton key={it.name} onClick={() => onPick(it.name)} title={`Filter by ${it.name}`}>
                {line}
              </UnstyledButton>
            ) : (
              <Tooltip key="(none)" label="Lines without a name (plain-text lines) cannot be filtered here; try the RAW level" withinPortal>
                <div data-testid={`${testId}-none`} tabIndex={0} aria-label={`(none): ${it.count} lines without a name; not filterable`}>
                  {line}
                </div>
              </Tooltip>
            );
          })}
        </Stack>
      )}
    </Card>
  );
}

function Latest({ label, entry, onPivot, testId }: { label: string; entry: LogEntry | null; onPivot: SummaryCardsProps['onPivot']; testId: string }) {
  return (
    <div data-testid={testId}>
      <Group gap={6} wrap="wrap" justify="space-between">
        <Text size="xs" c="dimmed" fw={600} tt="uppercase">
          {label}
        </Text>
        {entry && <Timestamp value={entry.timestamp} size="xs" />}
      </Group>
      {entry ? (
        <>
          <Text size="xs" lineClamp={2} title={entry.message} style={{ overflowWrap: 'anywhere' }}>
            <Text span size="xs" ff="monospace" fw={600}>
              {entry.event}
            </Text>{' '}
            {entry.message}
          </Text>
          {(['correlation_id', 'session_id', 'strategy_id'] as const).some((f) => entry[f]) && (
            <Group gap={4} mt={2}>
              {(['correlation_id', 'session_id', 'strategy_id'] as const).map((f) =>
                entry[f] ? <IdLink key={f} field={f} value={String(entry[f])} onPivot={onPivot} /> : null,
              )}
            </Group>
          )}
        </>
      ) : (
        <Text size="xs" c="dimmed">
          none
        </Text>
      )}
    </div>
  );
}

export function SummaryCards({ summary, updatedAt = 0, problem = null, onLevel, onLogger, onEvent, onPivot }: SummaryCardsProps) {
  const counts: Partial<Record<Level, number>> = {};
  for (const [k, v] of Object.entries(summary?.counts_by_level ?? {})) {
    const lv = displayLevel(k);
    counts[lv] = (counts[lv] ?? 0) + v;
  }
  const ing = summary?.ingestion;
  const stale = Boolean(problem);
  const unknown = problem ? 'unavailable' : '…';
  const asOf = updatedAt ? new Date(updatedAt).toLocaleTimeString() : null;
  return (
    <Stack gap={6} data-testid="logs-summary-wrap">
      {problem && (
        <Alert color="yellow" variant="light" icon={<IconAlertTriangle size={16} />} py={4} data-testid="summary-stale" role="status">
          <Text size="xs">
            {summary ? `Summary not updated${asOf ? ` since ${asOf}` : ''}: ` : 'Summary unavailable: '}
            {problem}
          </Text>
        </Alert>
      )}
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm" data-testid="logs-summary" data-stale={stale} style={stale ? { opacity: 0.6 } : undefined}>
      <Card withBorder padding="sm" data-testid="summary-levels">
        <Group justify="space-between" mb={6}>
          <Text size="xs" c="dimmed" fw={600} tt="uppercase">
            Lines by level
          </Text>
          <Text size="xs" fw={600} style={{ fontVariantNumeric: 'tabular-nums' }} data-testid="summary-total">
            {summary ? summary.total.toLocaleString() : unknown} total
          </Text>
        </Group>
        <Group gap={6}>
          {LEVELS.map((l) => (
            <UnstyledButton key={l} onClick={() => onLevel(l)} title={`Show only ${l}`}>
              <Badge size="sm" radius="xs" variant={counts[l] ? 'light' : 'outline'} color={LEVEL_COLORS[l]} style={{ textTransform: 'none' }}>
                {l} {(counts[l] ?? 0).toLocaleString()}
              </Badge>
            </UnstyledButton>
          ))}
        </Group>
        <Text size="xs" c="dimmed" mt={8} data-testid="summary-ingestion">
          {!ing
            ? `Ingestion: ${unknown}`
            : stale
              ? 'Ingestion: status unknown (summary not updated)'
              : !ing.enabled
              ? 'Ingestion: off'
              : `Ingestion ${ing.running ? 'running' : 'stopped'} · lag ${formatBytes(ing.lag_bytes)} / ${ing.lag_seconds.toFixed(1)} s · ${ing.lines_per_second.toFixed(1)} lines/s`}
        </Text>
        {ing?.last_error && (
          <Text size="xs" c="red" lineClamp={2}>
            {ing.last_error}
          </Text>
        )}
      </Card>
      <TopList title="Top loggers" items={summary?.top_loggers ?? []} onPick={onLogger} testId="summary-loggers" />
      <TopList title="Top events" items={summary?.top_events ?? []} onPick={onEvent} testId="summary-events" />
      <Card withBorder padding="sm">
        <Stack gap={8}>
          <Latest label="Latest error" entry={summary?.latest_error ?? null} onPivot={onPivot} testId="summary-latest-error" />
          <Latest label="Latest warning" entry={summary?.latest_warning ?? null} onPivot={onPivot} testId="summary-latest-warning" />
        </Stack>
      </Card>
    </SimpleGrid>
    </Stack>
  );
}
