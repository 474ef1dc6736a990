import { mapServerErrors } from '../strategy/formModel';

export const KNOWN_RISK: ReadonlySet<string> = new Set(['max_running_strategies', 'max_contracts_per_leg', 'max_open_legs', 'daily_loss_limit_usd']);

export function mapRiskErrors(err: unknown): Record<string, string> {
  return mapServerErrors(err, KNOWN_RISK);
}
