import { expect, test, type WebSocketRoute } from '@playwright/test';
import { startFakeDelta, startStack, type FakeDelta, type Stack } from './stack';
import { adminApi, signIn } from './browser';
import { step } from './steps';

/**
 * A live-mode session against the fake Delta server (its own backend with EXCHANGE=delta and
 * LIVE_TRADING_ENABLED=true, through nginx when E2E_VIA_NGINX=1). Faults are injected through the
 * fake server's control API; Live Control must show each one (badge + banner, updated over the
 * WebSocket) and clear it when Delta is healthy again, and the session must stay correct: the
 * exit happens through a 429 storm, nothing is left open, every exchange order is one of ours.
 * Every wait is for a condition (the health probe runs every second), never a fixed sleep.
 */

interface FakeState {
  pending: { kind: string; match: string; count: number }[];
  fired: Record<string, number>;
  orders: { client_order_id: string; state: string; filled: number; side: string; size: number }[];
  positions: Record<string, number>;
  ws_connects: number;
  sockets: number;
}

let fake: FakeDelta;
let stack: Stack;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const dist = process.env.E2E_DIST;
  if (!dist) throw new Error('E2E_DIST missing: global setup did not run');
  fake = await startFakeDelta({ name: 'live' });
  stack = await startStack({
    name: 'live',
    viaNginx: Boolean(process.env.E2E_VIA_NGINX),
    dist,
    env: {
      EXCHANGE: 'delta',
      LIVE_TRADING_ENABLED: 'true',
      DELTA_ENV: 'india-testnet',
      DELTA_API_KEY: 'test-key',
      DELTA_API_SECRET: 'test-secret',
      DELTA_BASE_URL: fake.url,
      DELTA_WS_URL: fake.wsUrl,
      DELTA_TIMEOUT_SECONDS: '5',
      DELTA_HEALTH_INTERVAL_SECONDS: '1',
    },
  });
});

test.afterAll(async () => {
  await stack?.stop();
  await fake?.stop();
});


const hhmm = (d: Date) => d.toISOString().slice(11, 16);
const fakeState = async () => (await fake.control('GET', 'state')) as FakeState;

test('live session through a ticker drop, a 5xx burst, expired signatures and a 429 storm', async ({ browser }) => {
  test.setTimeout(240_000);
  const api = await adminApi(stack.appURL);
  const now = new Date();
  const created = await api.post('/api/strategies', {
    data: {
      name: 'E2E live on fake Delta',
      underlying: 'BTC',
      mode: 'live',
      timezone: 'UTC',
      entry_time: hhmm(now),
      entry_window_minutes: 10,
      exit_time: hhmm(new Date(now.getTime() + 3 * 3600_000)),
      max_loss_pct: '80',
      take_profit_pct: '90',
      execution: { limit_attempts: 2, attempt_timeout_s: 3, max_slippage_pct: '5', market_fallback: true },
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  const { id } = (await created.json()) as { id: number };

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, colorScheme: 'light', reducedMotion: 'reduce', baseURL: stack.appURL });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/the server responded with a status of 4\d\d/.test(m.text())) errors.push(m.text());
  });
  const panel = page.getByTestId('strategy-panel');
  const state = panel.getByTestId('state-badge').first();
  const badge = page.getByTestId('exchange-status');
  const banner = page.getByTestId('exchange-banner');
  // The app's own realtime socket goes through a pass-through route, so a step can cut it.
  const appSockets: WebSocketRoute[] = [];
  let refuseAppSocket = false;
  await page.routeWebSocket(/\/api\/ws/, async (ws) => {
    if (refuseAppSocket) {
      await ws.close({ code: 1012, reason: 'e2e: refused' });
      return;
    }
    ws.connectToServer();
    appSockets.push(ws);
  });
  const wsState = page.getByTestId('ws-state').first();
  const stale = page.getByTestId('realtime-stale');

  await step(page, 'live strategy open with two legs, Delta healthy', async () => {
    await signIn(page);
    await page.goto(`/live?id=${id}`);
    await expect(page.getByTestId('ws-state').first()).toHaveAttribute('data-state', 'open');
    await expect(badge).toHaveAttribute('data-state', 'ok');
    await expect(badge).toHaveText('Delta OK');
    await page.getByTestId('action-start').click();
    await expect(state).toHaveAttribute('data-state', 'open', { timeout: 60_000 });
    await expect(panel.getByTestId('leg-row')).toHaveCount(2);
    await expect(panel.getByTestId('state-detail')).toHaveText('legs open');
    await expect(banner).toHaveCount(0);
    // the monitor's ticker socket is connected (the next step drops it)
    await expect.poll(async () => (await fakeState()).sockets, { timeout: 15_000 }).toBeGreaterThan(0);
  });

  await step(page, 'our realtime socket cut: Live Control says its figures may be stale', async () => {
    await expect(stale).toHaveCount(0);
    refuseAppSocket = true;
    for (const ws of appSockets.splice(0)) await ws.close({ code: 1012, reason: 'e2e: dropped' });
    await expect(wsState).toHaveAttribute('data-state', 'reconnecting');
    await expect(stale).toBeVisible();
    await expect(stale).toContainText('may be stale');
  });

  await step(page, 'our realtime socket back: warning gone, pushes flow again', async () => {
    refuseAppSocket = false;
    await expect(wsState).toHaveAttribute('data-state', 'open', { timeout: 30_000 });
    await expect(stale).toHaveCount(0);
    await expect(state).toHaveAttribute('data-state', 'open');
    await expect(panel.getByTestId('leg-row')).toHaveCount(2);
  });

  await step(page, 'ticker socket dropped and refused: reconnecting, prices from REST polling', async () => {
    await fake.control('POST', 'sockets', { refuse: 1_000_000, drop: true });
    await expect(banner).toHaveAttribute('data-state', 'reconnecting');
    await expect(banner).toContainText('Ticker stream reconnecting');
    await expect(banner).toContainText('REST polling');
    await expect(badge).toHaveText('Ticker reconnecting');
    await expect(state).toHaveAttribute('data-state', 'open');
    await expect(panel.getByTestId('leg-row')).toHaveCount(2);
  });

  await step(page, 'ticker socket accepted again: banner cleared', async () => {
    const connects = (await fakeState()).ws_connects;
    await fake.control('POST', 'sockets', { refuse: 0 });
    await expect(banner).toHaveCount(0, { timeout: 45_000 });
    await expect(badge).toHaveAttribute('data-state', 'ok');
    expect((await fakeState()).ws_connects).toBeGreaterThan(connects);
  });

  await step(page, '5xx burst: Delta API errors with the last error', async () => {
    await fake.control('POST', 'faults', { kind: 'server_error', count: 3, params: { status: 503 } });
    await expect(banner).toHaveAttribute('data-state', 'degraded');
    await expect(banner).toContainText('Delta API errors');
    await expect(banner).toContainText('last error: unavailable');
    await expect(badge).toHaveText('Delta degraded');
  });

  await step(page, '5xx burst over: healthy again, session still open', async () => {
    await expect(banner).toHaveCount(0, { timeout: 30_000 });
    await expect(badge).toHaveAttribute('data-state', 'ok');
    await expect(state).toHaveAttribute('data-state', 'open');
  });

  await step(page, 'expired signatures: clock skew shown', async () => {
    await fake.control('POST', 'faults', { kind: 'expired_signature_string', count: 2 });
    await expect(banner).toHaveAttribute('data-state', 'auth_error');
    await expect(banner).toContainText('clock skew');
    await expect(banner).toContainText('NTP');
    await expect(badge).toHaveText('Auth error');
  });

  await step(page, 'signatures accepted again: healthy', async () => {
    await expect(banner).toHaveCount(0, { timeout: 30_000 });
    await expect(badge).toHaveAttribute('data-state', 'ok');
    await expect(state).toHaveAttribute('data-state', 'open');
  });

  const retry = page.getByTestId('exchange-retry');
  await step(page, '429 storm: rate limited with a retry countdown', async () => {
    await fake.control('POST', 'faults', { kind: 'rate_limit', count: 3, params: { reset_ms: 6000 } });
    await expect(banner).toHaveAttribute('data-state', 'rate_limited');
    await expect(badge).toHaveText('Rate limited');
    await expect(retry).toHaveText(/^retrying in [1-6] s$/);
    const first = await retry.textContent();
    await expect(retry).not.toHaveText(first ?? '', { timeout: 5_000 }); // counts down between pushes
  });

  await step(page, 'stopped during the storm: the exit waits it out and closes both legs', async () => {
    await page.getByTestId('action-stop').click();
    await page.getByTestId('confirm-action').click();
    await expect(state).toHaveAttribute('data-state', 'closed', { timeout: 90_000 });
    await expect(panel.getByTestId('no-legs')).toBeVisible();
    await expect(banner).toHaveCount(0, { timeout: 30_000 });
    await expect(badge).toHaveAttribute('data-state', 'ok');
  });

  await step(page, 'books agree with the exchange; the timeline tells what happened', async () => {
    const fs = await fakeState();
    expect(fs.pending).toEqual([]); // every injected fault was met
    expect(fs.fired).toMatchObject({ server_error: 3, expired_signature_string: 2, rate_limit: 3 });
    expect(fs.positions).toEqual({}); // flat
    const cids = fs.orders.map((o) => o.client_order_id);
    expect(new Set(cids).size).toBe(cids.length); // never placed twice
    expect(fs.orders.filter((o) => o.state === 'open' || o.state === 'pending')).toEqual([]);
    const sessions = (await (await api.get('/api/sessions', { params: { strategy_id: String(id) } })).json()) as { items: { id: string }[] };
    expect(sessions.items).toHaveLength(1);
    const detail = (await (await api.get(`/api/sessions/${sessions.items[0]!.id}`)).json()) as {
      session: { status: string; exit_reason: string };
      legs: { entry_qty: number; exit_qty: number; target_qty: number }[];
      orders: { client_order_id: string; filled_size: number; exchange_order_id: number | null }[];
      events: { kind: string }[];
    };
    expect(detail.session).toMatchObject({ status: 'closed', exit_reason: 'manual_stop' });
    for (const leg of detail.legs) expect([leg.entry_qty, leg.exit_qty]).toEqual([leg.target_qty, leg.target_qty]);
    for (const o of fs.orders) {
      const ours = detail.orders.find((r) => r.client_order_id === o.client_order_id);
      expect(ours, `exchange order ${o.client_order_id} is not in the engine's books`).toBeTruthy();
      expect(ours!.filled_size).toBe(o.filled);
    }
    const kinds = detail.events.map((e) => e.kind);
    for (const k of ['exchange_reconnecting', 'exchange_degraded', 'exchange_auth_error', 'exchange_rate_limited', 'exchange_recovered']) expect(kinds).toContain(k);

    await page.getByTestId('nav-history').click();
    const row = page.getByTestId('session-row').first();
    await expect(row).toContainText('E2E live on fake Delta');
    await row.click();
    const timeline = page.getByTestId('session-timeline');
    await expect(timeline).toContainText('exchange rate limited');
    await expect(timeline).toContainText('closed (manual_stop)');
  });

  expect(errors).toEqual([]);
  await context.close();
  await api.dispose();
});
