import { api, unwrap } from '../../api';
import type { RiskRead, RiskUpdate } from '../strategy/types';

export type ActionName = 'start' | 'pause' | 'resume' | 'stop' | 'flatten';
export const RISK = ['engine-risk'] as const;

export const runAction = (id: number, action: ActionName) =>
  unwrap(api.POST('/api/strategies/{strategy_id}/actions', { params: { path: { strategy_id: id } }, body: { action } }));
export const getRisk = (): Promise<RiskRead> => unwrap(api.GET('/api/engine/risk'));
export const putRisk = (body: RiskUpdate): Promise<RiskRead> => unwrap(api.PUT('/api/engine/risk', { body }));
export const kill = () => unwrap(api.POST('/api/engine/kill'));
export const rearm = () => unwrap(api.POST('/api/engine/rearm'));

/** Which controls a state allows (backend strategy/state_machine.py). */
export function allowedActions(state: string): Set<ActionName> {
  const s = new Set<ActionName>();
  if (['idle', 'closed', 'error'].includes(state)) s.add('start');
  if (['waiting', 'open'].includes(state)) s.add('pause');
  if (state === 'paused') s.add('resume');
  if (!['idle', 'closed'].includes(state)) {
    s.add('stop');
    s.add('flatten');
  }
  return s;
}

/** The kill switch is engaged or the daily-loss circuit breaker has tripped. */
export function engineEngaged(risk: RiskRead | undefined): boolean {
  return Boolean(risk?.kill_switch_at || risk?.breaker_tripped_at);
}

/** Today's (UTC) PnL is at or past the daily loss limit, so the breaker would trip at once. */
export function dayPastLimit(dayPnl: string | undefined, limit: string | null | undefined): boolean {
  if (limit === null || limit === undefined || limit.trim() === '' || dayPnl === undefined) return false;
  const l = Number(limit);
  const day = Number(dayPnl);
  return Number.isFinite(l) && Number.isFinite(day) && l > 0 && day <= -l;
}

/**
 * Why the engine refuses every start right now (backend StrategyEngine._check_can_start answers 409
 * while the kill switch is engaged, the daily-loss circuit breaker has tripped, the strategy's
 * quantity is above the contracts-per-leg limit, or today's PnL is already past the daily loss
 * limit), or null. Only `start` is refused this way: resume, pause,
 * stop and flatten are not.
 */
export function startBlockedReason(risk: RiskRead | undefined, quantity: number | null = null): string | null {
  if (risk?.kill_switch_at) return 'Kill switch engaged — re-arm it first';
  if (risk?.breaker_tripped_at) return 'Circuit breaker tripped — re-arm it first';
  if (risk && quantity !== null && quantity > risk.max_contracts_per_leg) {
    return `Quantity ${quantity} is above the risk limit of ${risk.max_contracts_per_leg} contracts per leg — lower it in the strategy or raise the limit`;
  }
  if (risk && dayPastLimit(risk.day_pnl_usd, risk.daily_loss_limit_usd)) {
    return "Today's PnL is already past the daily loss limit: an entry would be flattened at once — raise the limit first";
  }
  return null;
}
