import { describe, expect, it } from 'vitest';
import type { StrategyRead } from '../strategy/types';
import { rankOrder, tabOrder } from './tabOrder';

const row = (id: number, state: string, updated = '2026-11-01T00:00:00Z') => ({ id, state, updated_at: updated }) as StrategyRead;

describe('Live Control tab order', () => {
  it('ranks running (and error) first, then closed, then the rest, newest first within a rank', () => {
    const rows = [row(1, 'idle'), row(2, 'closed'), row(3, 'open', '2026-11-01T00:00:00Z'), row(4, 'error', '2026-11-02T00:00:00Z')];
    expect(rankOrder(rows).map((r) => r.id)).toEqual([4, 3, 2, 1]);
  });

  it('keeps the order already shown when states change, so the selected tab does not move', () => {
    const first = tabOrder([row(1, 'open'), row(2, 'idle'), row(3, 'closed')], []);
    expect(first.map((r) => r.id)).toEqual([1, 3, 2]);
    // 1 closes and 2 starts: a fresh ranking would swap them; the shown order stays
    const later = tabOrder([row(1, 'closed'), row(2, 'waiting'), row(3, 'closed')], first.map((r) => r.id));
    expect(later.map((r) => r.id)).toEqual([1, 3, 2]);
    expect(later.map((r) => r.state)).toEqual(['closed', 'closed', 'waiting']); // with their new data
  });

  it('appends new strategies in rank order and drops deleted ones', () => {
    const next = tabOrder([row(1, 'idle'), row(3, 'closed'), row(5, 'idle'), row(6, 'open')], [1, 2, 3]);
    expect(next.map((r) => r.id)).toEqual([1, 3, 6, 5]);
  });
});
