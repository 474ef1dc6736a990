import { Stack, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { asApiError } from '../api/errors';

/** Error toast: the server's `detail`, plus the correlation ID in small text for support. */
export function notifyError(err: unknown, title = 'Request failed'): void {
  const e = asApiError(err);
  notifications.show({
    color: 'red',
    title: e.status ? `${title} (${e.status})` : title,
    autoClose: 8000,
    message: (
      <Stack gap={2}>
        <Text size="sm">{e.detail}</Text>
        {e.correlationId && (
          <Text size="xs" c="dimmed" ff="monospace" data-testid="toast-correlation-id">
            ref {e.correlationId}
          </Text>
        )}
      </Stack>
    ),
  });
}

export function notifySuccess(message: string): void {
  notifications.show({ color: 'teal', message, autoClose: 4000 });
}
