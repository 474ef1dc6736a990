import { Alert, Badge, Group, Text, Tooltip } from '@mantine/core';
import { IconClockExclamation, IconCloudOff, IconHourglassHigh, IconKeyOff, IconPlugConnectedX } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Timestamp } from '../../app/Timestamp';
import { retryIn, useExchangeHealth, type ExchangeHealth, type ExchangeHealthView } from './exchangeHealth';
import { useNow } from './useRuntime';

interface Look {
  color: string;
  badge: string;
  title: string;
  icon: ReactNode;
}

const LOOKS: Record<string, Look> = {
  ok: { color: 'teal', badge: 'Delta OK', title: 'Delta Exchange OK', icon: null },
  reconnecting: { color: 'yellow', badge: 'Ticker reconnecting', title: 'Ticker stream reconnecting', icon: <IconPlugConnectedX size={18} /> },
  degraded: { color: 'orange', badge: 'Delta degraded', title: 'Delta API errors', icon: <IconCloudOff size={18} /> },
  rate_limited: { color: 'orange', badge: 'Rate limited', title: 'Delta rate limit', icon: <IconHourglassHigh size={18} /> },
  auth_error: { color: 'red', badge: 'Auth error', title: 'Delta refused our requests', icon: <IconKeyOff size={18} /> },
};

function look(state: string): Look {
  return LOOKS[state] ?? { color: 'gray', badge: state, title: state, icon: null };
}

function isClockSkew(h: ExchangeHealth): boolean {
  return h.state === 'auth_error' && /clock/i.test(h.message);
}

/** Header badge: the live exchange's state in one word (nothing on a paper-only deployment). */
export function ExchangeHealthBadge() {
  const { data } = useExchangeHealth();
  const h = data?.health;
  if (!h) return null;
  const l = look(h.state);
  return (
    <Tooltip label={h.message} withArrow multiline w={300}>
      <Badge color={l.color} variant="light" data-testid="exchange-status" data-state={h.state} role="status" aria-live="polite">
        {l.badge}
      </Badge>
    </Tooltip>
  );
}

/** Banner while the live exchange is in trouble: what, since when, the last error, and the retry countdown. */
export function ExchangeHealthBanner() {
  const { data } = useExchangeHealth();
  if (!data?.health || data.health.state === 'ok') return null;
  return <BannerView view={data} />;
}

function BannerView({ view }: { view: ExchangeHealthView }) {
  const h = view.health!;
  const now = useNow(500);
  const l = look(h.state);
  const wait = retryIn(view, now);
  const title =
    h.state === 'rate_limited' ? (
      <Group gap={6} wrap="wrap">
        <span>{l.title}:</span>
        <span data-testid="exchange-retry">{wait !== null && wait >= 0.5 ? `retrying in ${Math.ceil(wait)} s` : 'retrying now'}</span>
      </Group>
    ) : isClockSkew(h) ? (
      'Delta rejected our signature: clock skew'
    ) : (
      l.title
    );
  return (
    <Alert color={l.color} icon={isClockSkew(h) ? <IconClockExclamation size={18} /> : l.icon} title={title} data-testid="exchange-banner" data-state={h.state}>
      <Text size="sm" data-testid="exchange-message" style={{ overflowWrap: 'anywhere' }}>
        {h.message}
      </Text>
      <Text size="xs" c="dimmed" mt={4}>
        {h.since && (
          <>
            Since <Timestamp value={h.since} size="xs" />
          </>
        )}
        {h.last_error && h.state !== 'reconnecting' && (
          <>
            {h.since ? ' · ' : ''}last error: <span style={{ fontFamily: 'var(--mantine-font-family-monospace)' }}>{h.last_error}</span>
          </>
        )}
      </Text>
    </Alert>
  );
}
