import { notifyManager } from '@tanstack/react-query';
import { act, cleanup, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { session } from '../../api';
import type { TopicListener } from '../../realtime/client';
import { adminUser, jsonResponse, renderWithProviders, tokenBody } from '../../test/utils';
import type { ExchangeHealth } from './exchangeHealth';
import { ExchangeHealthBadge, ExchangeHealthBanner } from './ExchangeStatus';

// The realtime socket is replaced by a recorder: the test pushes `exchange` topic messages itself.
const topics = vi.hoisted(() => new Map<string, TopicListener>());
vi.mock('../../realtime/hooks', () => ({
  useTopic: (topic: string | null, listener: TopicListener) => {
    if (topic) topics.set(topic, listener);
  },
  useConnectionState: () => 'open',
}));

// Query updates reach components synchronously (not on a 0 ms timer), so a push inside act() renders at once.
beforeAll(() => notifyManager.setScheduler((cb) => cb()));
afterAll(() => notifyManager.setScheduler((cb) => setTimeout(cb, 0)));

afterEach(() => {
  cleanup();
  session.end(null, false);
  vi.useRealTimers();
  vi.unstubAllGlobals();
  topics.clear();
});

function health(over: Partial<ExchangeHealth>): ExchangeHealth {
  return {
    exchange: 'delta',
    state: 'ok',
    message: 'Delta Exchange reachable',
    rest: 'ok',
    ticker: 'ok',
    ticker_failures: 0,
    checked_at: '2026-03-02T03:00:00Z',
    since: null,
    retry_at: null,
    retry_in_s: null,
    last_error: null,
    last_error_at: null,
    clock_offset_s: null,
    ...over,
  };
}

function serve(h: ExchangeHealth | null) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      if (new URL(req.url).pathname === '/api/exchange/status') {
        return jsonResponse(200, { paper: true, live_configured: h !== null, live_trading_enabled: true, delta_env: 'india-testnet', credentials_present: true, base_url: '', health: h });
      }
      return jsonResponse(404, { detail: 'nope' });
    }),
  );
  session.applyTokens({ ...tokenBody('t'), user: adminUser });
  renderWithProviders(
    <>
      <ExchangeHealthBadge />
      <ExchangeHealthBanner />
    </>,
  );
}

function push(h: ExchangeHealth) {
  act(() => topics.get('exchange')!({ type: 'event', topic: 'exchange', seq: 1, data: { exchange: 'live', health: h } }));
}

describe('exchange status in Live Control', () => {
  it('shows each fault with its reason, updates live over the topic, and clears when healthy', async () => {
    serve(health({}));
    const badge = await screen.findByTestId('exchange-status');
    expect(badge).toHaveTextContent('Delta OK');
    expect(badge).toHaveAttribute('data-state', 'ok');
    expect(screen.queryByTestId('exchange-banner')).not.toBeInTheDocument();

    // 429: a countdown that ticks locally between pushes
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    push(health({ state: 'rate_limited', rest: 'rate_limited', message: 'Delta rate limit hit (HTTP 429)', since: '2026-03-02T03:00:00Z', retry_in_s: 5, retry_at: '2026-03-02T03:00:05Z', last_error: 'rate_limited: retry in 5s' }));
    expect(screen.getByTestId('exchange-status')).toHaveTextContent('Rate limited');
    expect(screen.getByTestId('exchange-banner')).toHaveAttribute('data-state', 'rate_limited');
    expect(screen.getByTestId('exchange-retry')).toHaveTextContent('retrying in 5 s');
    expect(screen.getByTestId('exchange-banner')).toHaveTextContent('last error: rate_limited: retry in 5s');
    act(() => vi.advanceTimersByTime(3000));
    expect(screen.getByTestId('exchange-retry')).toHaveTextContent('retrying in 2 s');
    act(() => vi.advanceTimersByTime(3000));
    expect(screen.getByTestId('exchange-retry')).toHaveTextContent('retrying now');
    vi.useRealTimers();

    // 5xx burst
    push(health({ state: 'degraded', rest: 'degraded', message: 'Delta API failing (unavailable); requests are retried with backoff', since: '2026-03-02T03:01:00Z', last_error: 'unavailable' }));
    expect(screen.getByTestId('exchange-banner')).toHaveTextContent('Delta API errors');
    expect(screen.getByTestId('exchange-message')).toHaveTextContent('Delta API failing (unavailable)');
    expect(screen.queryByTestId('exchange-retry')).not.toBeInTheDocument();

    // ticker socket drop: the REST error of an earlier episode is not shown as its cause
    push(health({ state: 'reconnecting', ticker: 'reconnecting', ticker_failures: 2, message: 'Ticker WebSocket down, reconnecting (attempt 3); prices come from REST polling meanwhile', since: '2026-03-02T03:02:00Z', last_error: 'unavailable' }));
    expect(screen.getByTestId('exchange-status')).toHaveTextContent('Ticker reconnecting');
    expect(screen.getByTestId('exchange-banner')).toHaveTextContent('REST polling');
    expect(screen.getByTestId('exchange-banner')).not.toHaveTextContent('last error');

    // expired signature / clock skew
    push(health({ state: 'auth_error', rest: 'auth_error', message: "Delta rejected the request signature as expired: this host's clock and Delta's differ (clock skew); check NTP. Requests are retried", since: '2026-03-02T03:03:00Z', last_error: 'expired_signature' }));
    expect(screen.getByTestId('exchange-banner')).toHaveTextContent('Delta rejected our signature: clock skew');
    expect(screen.getByTestId('exchange-status')).toHaveAttribute('data-state', 'auth_error');

    // healthy again: the banner goes, the badge says so
    push(health({ last_error: 'expired_signature', clock_offset_s: 30 }));
    await waitFor(() => expect(screen.queryByTestId('exchange-banner')).not.toBeInTheDocument());
    expect(screen.getByTestId('exchange-status')).toHaveTextContent('Delta OK');
  });

  it('shows the state the server reports on load, and nothing at all on a paper-only deployment', async () => {
    serve(health({ state: 'degraded', rest: 'degraded', message: 'Delta API failing (timeout)', last_error: 'timeout' }));
    expect(await screen.findByTestId('exchange-banner')).toHaveAttribute('data-state', 'degraded');
    cleanup();
    session.end(null, false);
    vi.unstubAllGlobals();

    serve(null);
    await waitFor(() => expect(vi.mocked(fetch)).toHaveBeenCalled());
    await act(async () => {
      await Promise.resolve();
    });
    expect(screen.queryByTestId('exchange-status')).not.toBeInTheDocument();
    expect(screen.queryByTestId('exchange-banner')).not.toBeInTheDocument();
  });
});
