import { describe, expect, it } from 'vitest';
import type { RiskRead } from '../strategy/types';
import { dayPastLimit, engineEngaged, startBlockedReason } from './api';

const calm: RiskRead = {
  kill_switch_at: null,
  breaker_tripped_at: null,
  breaker_reason: null,
  daily_loss_limit_usd: '0.05',
  day_pnl_usd: '-0.01',
  max_contracts_per_leg: 10,
  max_open_legs: 10,
  max_running_strategies: 5,
};

describe('dayPastLimit', () => {
  it.each([
    ['-0.065', '0.05', true],
    ['-0.05', '0.05', true], // at the limit trips, as the engine compares (<=)
    ['-0.0499', '0.05', false],
    ['0.2', '0.05', false],
    ['-5', null, false],
    ['-5', '', false],
    ['-5', 'abc', false],
  ] as const)('day %s against limit %s -> %s', (day, limit, past) => {
    expect(dayPastLimit(day, limit)).toBe(past);
  });
});

describe('startBlockedReason', () => {
  it('allows a start on a calm day', () => {
    expect(startBlockedReason(calm)).toBeNull();
    expect(engineEngaged(calm)).toBe(false);
  });

  it('refuses a start while the day is past the limit, even re-armed (the entry would be flattened at once)', () => {
    const reason = startBlockedReason({ ...calm, day_pnl_usd: '-0.065' });
    expect(reason).toMatch(/past the daily loss limit/);
    expect(engineEngaged({ ...calm, day_pnl_usd: '-0.065' })).toBe(false); // not a kill/breaker banner
  });

  it('refuses a start whose quantity is above the contracts-per-leg limit (it was a short-lived 409 toast)', () => {
    expect(startBlockedReason(calm, 3)).toBeNull();
    expect(startBlockedReason(calm, 11)).toMatch(/Quantity 11 is above the risk limit of 10 contracts per leg/);
    expect(startBlockedReason(calm, null)).toBeNull();
  });

  it('names the kill switch and the breaker first', () => {
    expect(startBlockedReason({ ...calm, kill_switch_at: '2026-03-02T03:00:00Z', day_pnl_usd: '-1' })).toMatch(/Kill switch/);
    expect(startBlockedReason({ ...calm, breaker_tripped_at: '2026-03-02T03:00:00Z' })).toMatch(/Circuit breaker/);
  });
});
