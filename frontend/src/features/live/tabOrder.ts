import { RUNNING_STATES } from '../strategy/format';
import type { StrategyRead } from '../strategy/types';

/** Running strategies first, then those that ran recently, then the rest. */
export function rankOrder(rows: readonly StrategyRead[]): StrategyRead[] {
  const rank = (s: StrategyRead) => (RUNNING_STATES.has(s.state) || s.state === 'error' ? 0 : s.state === 'closed' ? 1 : 2);
  return [...rows].sort((a, b) => rank(a) - rank(b) || b.updated_at.localeCompare(a.updated_at));
}

/**
 * The Live Control tabs in a stable order: the order already shown (`shown`, ids) is kept while the
 * page is open, so a tab does not move under the user's pointer when a strategy changes state;
 * strategies not shown yet follow, in rank order. Deleted ones drop out.
 */
export function tabOrder(rows: readonly StrategyRead[], shown: readonly number[]): StrategyRead[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const kept = shown.flatMap((id) => {
    const row = byId.get(id);
    return row ? [row] : [];
  });
  const keptIds = new Set(kept.map((r) => r.id));
  return [...kept, ...rankOrder(rows.filter((r) => !keptIds.has(r.id)))];
}
