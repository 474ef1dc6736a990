import { describe, expect, it } from 'vitest';
import { allowedActions } from './api';
import { mergeRuntimeEvent, normalizeRuntime, panelFigures, versionLabel } from './runtime';
import { remaining } from './useRuntime';

const base = () =>
  normalizeRuntime(
    {
      strategy_id: 1,
      name: 's',
      state: 'open',
      now: '2026-03-02T03:10:00+00:00',
      spot: '90012.5',
      countdowns: { to_entry_s: null, to_exit_s: 100, to_expiry_s: 1000 },
      session: { id: 'a', status: 'open', credit: '0.3', net_pnl: '0', exit_reason: null, expiry: '', exit_deadline: '', opened_at: null, error: null },
      legs: [{ symbol: 'C', kind: 'call', strike: '1', quantity: 1, status: 'open', entry_price: '100', mark: '90', best_bid: null, best_ask: null, delta: 0.1, pnl: '0.01' }],
    },
    1_000,
  );

describe('runtime merge', () => {
  it('merges ticks: marks, leg pnl, levels, countdowns', () => {
    const { next, refetch } = mergeRuntimeEvent(
      base(),
      { tick: true, pnl: { pnl_usd: '0.02' }, levels: null, quotes: { C: { mark: '80', best_bid: '79', best_ask: '81', delta: 0.09 } }, leg_pnl: { C: '0.0200' } },
      11_000,
    );
    expect(refetch).toBe(false);
    expect(next.legs[0]).toMatchObject({ mark: '80', best_bid: '79', delta: 0.09 });
    expect(next.legs[0]!.pnl).toBe('0.0200'); // the backend's exact decimal, not re-derived in floats
    expect(next.countdowns.to_expiry_s).toBe(990);
    expect(next.receivedAt).toBe(11_000);
  });
  it('ticks update the spot, the clock and the countdowns as the backend measured them', () => {
    const tick = {
      tick: true,
      now: '2026-03-02T03:10:07+00:00',
      spot: '90104.25',
      countdowns: { to_exit_s: 93.5, to_expiry_s: 992.5 },
      pnl: null,
      levels: null,
      quotes: { C: { mark: '85', best_bid: null, best_ask: null, delta: 0.1 } },
      leg_pnl: { C: '0.015' },
    };
    const { next, refetch } = mergeRuntimeEvent(base(), tick, 8_000);
    expect(refetch).toBe(false);
    expect(next.spot).toBe('90104.25'); // was frozen at the page-load value
    expect(next.now).toBe('2026-03-02T03:10:07+00:00');
    expect(next.countdowns).toEqual({ to_entry_s: null, to_exit_s: 93.5, to_expiry_s: 992.5 });
    expect(next.legs[0]!.pnl).toBe('0.015');
    // a tick whose feed had no spot keeps the last known one instead of blanking it
    const later = mergeRuntimeEvent(next, { ...tick, spot: null }, 9_000).next;
    expect(later.spot).toBe('90104.25');
  });
  it('state and event messages update and ask for a refetch', () => {
    const s = mergeRuntimeEvent(base(), { state: 'exiting', reason: 'take_profit' });
    expect(s.next.state).toBe('exiting');
    expect(s.refetch).toBe(true);
    const e = mergeRuntimeEvent(base(), { event: { kind: 'trailing_lock_moved', message: 'now 10%', level: 'info' } }, 5_000);
    expect(e.next.events[0]).toMatchObject({ kind: 'trailing_lock_moved', message: 'now 10%' });
  });
  it('counts down locally', () => {
    expect(remaining(100, 1_000, 3_500)).toBe(97.5);
    expect(remaining(null, 0, 0)).toBeNull();
  });
  it('offers the actions the state machine allows', () => {
    expect([...allowedActions('idle')]).toEqual(['start']);
    expect([...allowedActions('open')].sort()).toEqual(['flatten', 'pause', 'stop']);
    expect([...allowedActions('paused')].sort()).toEqual(['flatten', 'resume', 'stop']);
    expect([...allowedActions('error')].sort()).toEqual(['flatten', 'start', 'stop']);
  });
});

describe('panelFigures', () => {
  const session = (status: string) => ({
    id: 's1', status, credit: '0.2055', net_pnl: '-0.0200', fees: '0.0128', exit_reason: null,
    expiry: '2026-03-02T12:00:00Z', exit_deadline: '2026-03-02T11:30:00Z', opened_at: null, error: null,
  });

  it('labels an open session\'s PnL as before fees and gives the fees paid so far', () => {
    const f = panelFigures({ session: session('open'), pnl: { pnl_usd: '-0.0036', profit_pct: '-1.75' } as never });
    expect(f).toMatchObject({ active: true, pnlLabel: 'Open PnL before fees (USD)', pnlUsd: '-0.0036', pnlPct: '-1.75', fees: '0.0128', creditLabel: 'Credit (USD)' });
  });

  it('shows a closed session\'s booked net, its % of that credit, and says the credit was the last session\'s', () => {
    const f = panelFigures({ session: session('closed'), pnl: null });
    expect(f).toMatchObject({ active: false, pnlLabel: 'Last session net (USD)', pnlUsd: '-0.0200', creditLabel: 'Last session credit (USD)' });
    expect(Number(f.pnlPct)).toBeCloseTo(-9.73, 2);
  });

  it('has nothing to show before the first session', () => {
    expect(panelFigures({ session: null, pnl: null })).toMatchObject({ pnlUsd: null, pnlPct: null, fees: null, creditLabel: 'Credit (USD)' });
  });
});

describe('versionLabel', () => {
  it('names the running version while it runs, and the saved one that applies next', () => {
    expect(versionLabel({ state: 'open', version: 2, run_version: 1 })).toBe('v1 (v2 next)');
    expect(versionLabel({ state: 'paused', version: 2, run_version: 2 })).toBe('v2');
  });

  it('names the saved version once stopped (it showed the last run\'s v1 after v2 was saved)', () => {
    expect(versionLabel({ state: 'closed', version: 2, run_version: 1 })).toBe('v2');
    expect(versionLabel({ state: 'idle', version: 1, run_version: null })).toBe('v1');
  });
});
