import { describe, expect, it } from 'vitest';

import { validateRisk, type RiskDraft } from './riskForm';

const ok: RiskDraft = { max_running_strategies: '5', max_contracts_per_leg: '100', max_open_legs: '10', daily_loss_limit_usd: '' };

describe('validateRisk', () => {
  it('accepts whole numbers in range and an empty or positive loss limit', () => {
    expect(validateRisk(ok)).toEqual({});
    expect(validateRisk({ ...ok, daily_loss_limit_usd: '250.5' })).toEqual({});
    expect(validateRisk({ ...ok, daily_loss_limit_usd: '1e3' })).toEqual({}); // the server takes any positive decimal
    expect(validateRisk({ ...ok, max_open_legs: ' 10000 ' })).toEqual({});
  });

  it('names every bad field at once', () => {
    expect(validateRisk({ max_running_strategies: '-1', max_contracts_per_leg: '0', max_open_legs: 'abc', daily_loss_limit_usd: 'ten' })).toEqual({
      max_running_strategies: 'must be a whole number',
      max_contracts_per_leg: 'must be between 1 and 10000',
      max_open_legs: 'must be a whole number',
      daily_loss_limit_usd: 'must be a positive number of USD, or empty for none',
    });
  });

  it('refuses out-of-range counts, fractions and a zero or negative limit', () => {
    expect(validateRisk({ ...ok, max_contracts_per_leg: '10001' })).toEqual({ max_contracts_per_leg: 'must be between 1 and 10000' });
    expect(validateRisk({ ...ok, max_open_legs: '2.5' })).toEqual({ max_open_legs: 'must be a whole number' });
    expect(validateRisk({ ...ok, daily_loss_limit_usd: '0' })).toHaveProperty('daily_loss_limit_usd');
    expect(validateRisk({ ...ok, daily_loss_limit_usd: '-5' })).toHaveProperty('daily_loss_limit_usd');
    expect(validateRisk({ ...ok, daily_loss_limit_usd: 'NaN' })).toHaveProperty('daily_loss_limit_usd');
  });
});
