import { Badge, Box, Tooltip } from '@mantine/core';
import type { ConnectionState } from './client';
import { useConnectionState } from './hooks';

const LOOK: Record<ConnectionState, { color: string; label: string; help: string }> = {
  open: { color: 'teal', label: 'Connected', help: 'Realtime connection open: updates are pushed as they happen.' },
  connecting: { color: 'gray', label: 'Connecting', help: 'Opening the realtime connection…' },
  reconnecting: { color: 'orange', label: 'Reconnecting', help: 'Realtime connection lost; reconnecting with backoff. Data shown may be stale.' },
  closed: { color: 'red', label: 'Offline', help: 'Realtime connection closed.' },
  idle: { color: 'gray', label: 'Idle', help: 'Realtime connection not started.' },
};

/** Connection state of the shared realtime socket: a badge, or a dot when `dot`. */
export function ConnectionIndicator({ dot = false }: { dot?: boolean }) {
  const state = useConnectionState();
  const look = LOOK[state];
  if (dot) {
    return (
      <Tooltip label={look.help} withArrow>
        <Box
          component="span"
          role="status"
          aria-label={`Realtime: ${look.label}`}
          data-testid="ws-dot"
          data-state={state}
          style={{ display: 'inline-block', width: 8, height: 8, borderRadius: 8, background: `var(--mantine-color-${look.color}-6)` }}
        />
      </Tooltip>
    );
  }
  return (
    <Tooltip label={look.help} withArrow multiline w={260}>
      <Badge color={look.color} variant="light" data-testid="ws-state" data-state={state} role="status" aria-live="polite">
        {look.label}
      </Badge>
    </Tooltip>
  );
}
