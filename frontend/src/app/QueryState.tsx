import { Alert, Button, Center, Group, Loader, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { asApiError } from '../api/errors';

/** Loading and error states for a query; renders `children(data)` once loaded. */
export function QueryState<T>({ query, label, children }: { query: UseQueryResult<T>; label: string; children: (data: T) => ReactNode }) {
  if (query.isPending) {
    return (
      <Center py="xl" role="status" aria-live="polite">
        <Group gap="xs">
          <Loader size="sm" />
          <Text size="sm" c="dimmed">
            Loading {label}…
          </Text>
        </Group>
      </Center>
    );
  }
  if (query.isError) return <QueryError query={query} label={label} />;
  return <>{children(query.data)}</>;
}

/** The error state of a query: the API's message, field errors, the correlation ref and a retry. */
export function QueryError({ query, label }: { query: UseQueryResult<unknown>; label: string }) {
  const e = asApiError(query.error);
  return (
    <Alert color="red" icon={<IconAlertTriangle size={18} />} title={`Could not load ${label}`} role="alert" data-testid={`error-${label.replace(/\s+/g, '-')}`}>
      <Text size="sm">{e.detail}</Text>
      {e.fields.length > 0 && (
        <Text size="sm">
          {e.fields.map((f) => `${f.field}: ${f.message}`).join('; ')}
        </Text>
      )}
      {e.correlationId && (
        <Text size="xs" c="dimmed" ff="monospace">
          ref {e.correlationId}
        </Text>
      )}
      <Button size="xs" variant="light" mt="sm" onClick={() => void query.refetch()} loading={query.isFetching}>
        Retry
      </Button>
    </Alert>
  );
}
