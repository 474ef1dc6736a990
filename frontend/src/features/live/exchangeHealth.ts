/**
 * Live exchange health (backend exchange/health.py): loaded once from GET /api/exchange/status,
 * then kept current by the `exchange` realtime topic (a snapshot on subscribe, an event on every
 * change). No polling.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api';
import type { components } from '../../api/schema';
import { useTopic } from '../../realtime/hooks';

export type ExchangeHealth = components['schemas']['ExchangeHealthRead'];

export interface ExchangeHealthView {
  /** null: no live exchange configured (paper only): nothing to show. */
  health: ExchangeHealth | null;
  /** Date.now() when `health.retry_in_s` was measured (the countdown ticks locally from there). */
  receivedAt: number;
}

export const EXCHANGE_HEALTH = ['exchange-health'] as const;

export async function fetchExchangeHealth(): Promise<ExchangeHealthView> {
  const status = await unwrap(api.GET('/api/exchange/status'));
  return { health: status.health ?? null, receivedAt: Date.now() };
}

/** A pushed `{exchange, health}` message, or null when it is not one. */
export function parseHealthMessage(data: unknown): ExchangeHealth | null {
  const h = (data as { health?: unknown } | null)?.health as Partial<ExchangeHealth> | undefined;
  if (!h || typeof h !== 'object' || typeof h.state !== 'string' || typeof h.message !== 'string') return null;
  return h as ExchangeHealth;
}

/** Seconds until the exchange lets requests through again, as of `now`; null when not rate limited. */
export function retryIn(view: ExchangeHealthView, now: number): number | null {
  const s = view.health?.retry_in_s;
  if (view.health?.state !== 'rate_limited' || s === null || s === undefined) return null;
  return Math.max(0, s - (now - view.receivedAt) / 1000);
}

export function useExchangeHealth() {
  const qc = useQueryClient();
  const query = useQuery({
    queryKey: EXCHANGE_HEALTH,
    queryFn: fetchExchangeHealth,
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    meta: { silent: true },
  });
  useTopic('exchange', (m) => {
    if (m.type === 'snapshot' || m.type === 'event') {
      const health = parseHealthMessage(m.data);
      if (health) qc.setQueryData<ExchangeHealthView>(EXCHANGE_HEALTH, { health, receivedAt: Date.now() });
    } else if (m.type === 'resync') {
      void qc.invalidateQueries({ queryKey: EXCHANGE_HEALTH });
    }
  });
  return query;
}
