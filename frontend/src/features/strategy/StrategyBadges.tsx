import { Badge } from '@mantine/core';
import { humanize, stateColor } from './format';

// A badge is one short word: a squeezed table column must not cut it to "PA…" / "CLO…".
const WHOLE = { root: { minWidth: 'max-content' } } as const;

export function ModeBadge({ mode }: { mode: string }) {
  const live = mode === 'live';
  return (
    <Badge color={live ? 'red' : 'gray'} variant={live ? 'filled' : 'outline'} radius="sm" styles={WHOLE} data-testid="mode-badge">
      {live ? 'LIVE' : 'PAPER'}
    </Badge>
  );
}

export function StateBadge({ state, size = 'md' }: { state: string; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <Badge color={stateColor(state)} variant="light" size={size} radius="sm" styles={WHOLE} data-testid="state-badge" data-state={state}>
      {humanize(state)}
    </Badge>
  );
}
