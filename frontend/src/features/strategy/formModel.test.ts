import { describe, expect, it } from 'vitest';
import { ApiError } from '../../api/errors';
import { formatCountdown, fmtNum, fmtSigned } from './format';
import { KNOWN_PATHS, clientHints, defaultValues, fromConfig, mapServerErrors, quantityLimitWarning, toConfig } from './formModel';

describe('form ↔ config', () => {
  it('round-trips every field through the wire shape', () => {
    const v = defaultValues();
    v.name = '  BTC weekly ';
    v.strike_mode = 'premium';
    v.premium_low = '50';
    v.premium_high = '120';
    v.leg_stop_loss_pct = '';
    v.limit_attempts = '4';
    v.attempt_timeout_s = '2.5';
    v.schedule_days = ['fri', 'mon'];
    const cfg = toConfig(v);
    expect(cfg).toMatchObject({
      name: 'BTC weekly',
      quantity: 1,
      premium_low: '50',
      leg_stop_loss_pct: null,
      expiry_date: null,
      schedule_days: ['mon', 'fri'],
      execution: { limit_attempts: 4, attempt_timeout_s: 2.5, max_slippage_pct: '5', market_fallback: true },
      trailing_rules: [
        { trigger_pct: '20', lock_pct: '0' },
        { trigger_pct: '30', lock_pct: '10' },
        { trigger_pct: '40', lock_pct: '15' },
        { trigger_pct: '50', lock_pct: '25' },
      ],
    });
    const back = fromConfig(cfg as unknown as Record<string, unknown>);
    expect({ ...back, trailing_rules: back.trailing_rules.map(({ trigger_pct, lock_pct }) => ({ trigger_pct, lock_pct })) }).toMatchObject({
      name: 'BTC weekly',
      premium_high: '120',
      limit_attempts: '4',
      attempt_timeout_s: '2.5',
      schedule_days: ['mon', 'fri'],
      trailing_rules: cfg.trailing_rules,
    });
  });

  it('sends a non-integer verbatim so the server names the field', () => {
    const v = defaultValues();
    v.quantity = '1.5';
    expect(toConfig(v).quantity).toBe('1.5');
  });
});

describe('422 → fields', () => {
  it('maps nested and indexed paths to their inputs', () => {
    const err = new ApiError({
      status: 422,
      detail: 'x',
      fields: [
        { field: 'execution.limit_attempts', message: 'must be between 1 and 20' },
        { field: 'trailing_rules[1].lock_pct', message: 'must be below its trigger_pct (30)' },
        { field: '$.quantity', message: 'Expected `int`, got `str` - at `$.quantity`' },
      ],
    });
    expect(mapServerErrors(err, KNOWN_PATHS)).toEqual({
      'execution.limit_attempts': 'must be between 1 and 20',
      'trailing_rules[1].lock_pct': 'must be below its trigger_pct (30)',
      quantity: 'Expected `int`, got `str`',
    });
  });

  it('puts unknown fields and field-less errors in the form-level slot', () => {
    const err = new ApiError({ status: 422, detail: 'x', fields: [{ field: 'bogus', message: 'unknown field' }] });
    expect(mapServerErrors(err, KNOWN_PATHS)).toEqual({ $: 'bogus: unknown field' });
    expect(mapServerErrors(new ApiError({ status: 500, detail: 'boom' }), KNOWN_PATHS)).toEqual({ $: 'boom' });
    // a 409 whose detail names a field
    expect(mapServerErrors(new ApiError({ status: 409, detail: "name: a strategy named 'x' already exists" }), KNOWN_PATHS)).toEqual({
      name: "a strategy named 'x' already exists",
    });
  });

  it('hints obvious problems before a round trip', () => {
    const v = defaultValues();
    v.entry_time = '9:5';
    v.delta_low = '0.2';
    v.strike_mode = 'distance';
    v.trailing_rules[0]!.lock_pct = '';
    v.limit_attempts = '';
    expect(clientHints(v)).toEqual({
      name: 'must not be empty',
      entry_time: 'must be a 24-hour HH:MM time',
      delta_high: 'must be greater than delta_low (0.2)',
      distance_pct: "is required when strike_mode is 'distance'",
      'trailing_rules[0].lock_pct': 'must be a number',
      'execution.limit_attempts': 'is required',
    });
  });
});

describe('formatting', () => {
  it('formats countdowns exactly', () => {
    expect(formatCountdown(null)).toBe('—');
    expect(formatCountdown(0)).toBe('now');
    expect(formatCountdown(-3)).toBe('now');
    expect(formatCountdown(0.9)).toBe('00:00');
    expect(formatCountdown(65.99)).toBe('01:05');
    expect(formatCountdown(3600)).toBe('01:00:00');
    expect(formatCountdown(86_400 * 2 + 3 * 3600 + 4 * 60 + 5)).toBe('2d 03:04:05');
  });
  it('signs money', () => {
    expect(fmtSigned('12.345')).toBe('+12.35');
    expect(fmtSigned(-3.1)).toBe('−3.10');
    expect(fmtSigned('0')).toBe('0.00');
    expect(fmtSigned(null)).toBe('—');
  });
  it('rounds the backend decimal strings exactly, half away from zero, like the backend messages', () => {
    // -0.04105 as a float is -0.041049999…: toLocaleString gave -0.0410, History's exact path -0.0411
    expect(fmtSigned('-0.04105', 4)).toBe('−0.0411');
    expect(fmtNum('-0.04105', 4)).toBe('-0.0411');
    expect(fmtNum('1.005', 2)).toBe('1.01'); // 1.00499999… as a float
    expect(fmtNum('1234567.891', 2)).toBe('1,234,567.89');
    expect(fmtSigned('-0.00004', 4)).toBe('0.0000'); // zero after rounding carries no sign
    expect(fmtNum('abc')).toBe('—');
    expect(fmtNum(0.5, 0)).toBe('1');
  });
});

describe('quantityLimitWarning', () => {
  it('warns only when a whole quantity is above the risk limit', () => {
    expect(quantityLimitWarning('500', 100)).toMatch(/^Above the engine's risk limit of 100 contracts per leg/);
    expect(quantityLimitWarning('100', 100)).toBeNull();
    expect(quantityLimitWarning(' 101 ', 100)).not.toBeNull();
    expect(quantityLimitWarning('abc', 100)).toBeNull(); // the field's own error covers it
    expect(quantityLimitWarning('500', undefined)).toBeNull(); // limits not loaded yet
  });
});
