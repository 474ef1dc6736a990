import { Badge } from '@mantine/core';
import { humanize, stateColor } from './format';

export function ModeBadge({ mode }: { mode: string }) {
  const live = mode === 'live';
  return (
    <Badge color={live ? 'red' : 'gray'} variant={live ? 'filled' : 'outline'} radius="sm" data-testid="mode-badge">
      {live ? 'LIVE' : 'PAPER'}
    </Badge>
  );
}

export function StateBadge({ state, size = 'md' }: { state: string; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <Badge color={stateColor(state)} variant="light" size={size} radius="sm" data-testid="state-badge" data-state={state}>
      {humanize(state)}
    </Badge>
  );
}
