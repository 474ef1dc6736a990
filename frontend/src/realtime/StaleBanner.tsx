import { Alert, Text } from '@mantine/core';
import { IconPlugConnectedX } from '@tabler/icons-react';
import { useConnectionState } from './hooks';

/**
 * Warns that the page's live figures have stopped updating. Pages like Live Control are kept
 * current only by the realtime socket (no polling), so while it is down what they show is the
 * last pushed state; the header's badge says so too small for a page where money is at stake.
 * While the first connection is still opening the data is fresh from HTTP: no warning then.
 */
export function RealtimeStaleBanner() {
  const state = useConnectionState();
  if (state !== 'reconnecting' && state !== 'closed') return null;
  return (
    <Alert color="orange" icon={<IconPlugConnectedX size={18} />} title="Live updates interrupted" data-testid="realtime-stale" data-state={state}>
      <Text size="sm">
        {state === 'reconnecting'
          ? 'The realtime connection dropped and is reconnecting. Figures on this page may be stale until it is back; they refresh as soon as it is.'
          : 'The realtime connection is closed. Figures on this page are not updating; reload the page to reconnect.'}
      </Text>
    </Alert>
  );
}
