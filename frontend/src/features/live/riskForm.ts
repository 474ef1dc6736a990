import { mapServerErrors } from '../strategy/formModel';

export const KNOWN_RISK: ReadonlySet<string> = new Set(['max_running_strategies', 'max_contracts_per_leg', 'max_open_legs', 'daily_loss_limit_usd']);

export function mapRiskErrors(err: unknown): Record<string, string> {
  return mapServerErrors(err, KNOWN_RISK);
}

export type RiskDraft = Record<'max_running_strategies' | 'max_contracts_per_leg' | 'max_open_legs' | 'daily_loss_limit_usd', string>;

/** Every problem in the risk form at once, in the server's words (it checks the same rules). */
export function validateRisk(v: RiskDraft): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const key of ['max_running_strategies', 'max_contracts_per_leg', 'max_open_legs'] as const) {
    const text = v[key].trim();
    if (!/^\d+$/.test(text)) errors[key] = 'must be a whole number';
    else if (Number(text) < 1 || Number(text) > 10_000) errors[key] = 'must be between 1 and 10000';
  }
  const limit = v.daily_loss_limit_usd.trim();
  if (limit !== '' && !(/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(limit) && Number.isFinite(Number(limit)) && Number(limit) > 0)) {
    errors.daily_loss_limit_usd = 'must be a positive number of USD, or empty for none';
  }
  return errors;
}
