import { Badge, Box, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { raw } from '../api';
import { unwrap } from '../api/errors';

const POLL_MS = 10_000;

/** API liveness: polls GET /api/health; shows Live / Offline with version and round-trip time. */
export function HealthIndicator({ compact = false }: { compact?: boolean }) {
  const health = useQuery({
    queryKey: ['health'],
    queryFn: async () => {
      const t0 = performance.now();
      const body = await unwrap(raw.GET('/api/health'));
      return { body, rttMs: Math.round(performance.now() - t0) };
    },
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
    retry: false,
    meta: { silent: true },
  });
  const ok = health.isSuccess && !health.isError;
  const pending = health.isPending;
  const version = ok ? String(health.data.body.version ?? '') : '';
  const tip = pending
    ? 'Checking the API…'
    : ok
      ? `API reachable · v${version} · ${health.data.rttMs} ms round trip`
      : `API unreachable: ${health.error?.message ?? 'no answer'} (retrying every ${POLL_MS / 1000} s)`;
  const color = pending ? 'gray' : ok ? 'teal' : 'red';
  return (
    <Tooltip label={tip} withArrow multiline maw={280}>
      <Badge
        variant="light"
        color={color}
        size="lg"
        radius="sm"
        role="status"
        aria-label={tip}
        data-testid="health-indicator"
        data-state={pending ? 'pending' : ok ? 'ok' : 'down'}
        leftSection={
          <Box
            component="span"
            w={8}
            h={8}
            style={{ borderRadius: 8, display: 'inline-block', background: `var(--mantine-color-${color}-filled)` }}
          />
        }
        tt="none"
        styles={{ label: { fontVariantNumeric: 'tabular-nums' }, section: compact ? { margin: 0 } : undefined }}
      >
        {compact ? null : pending ? '…' : ok ? `API · ${health.data.rttMs} ms` : 'Offline'}
      </Badge>
    </Tooltip>
  );
}
