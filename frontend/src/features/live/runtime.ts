/**
 * The runtime payload (backend strategy/engine.py StrategyRunner.snapshot()) and how pushed
 * events update it. The OpenAPI document types it as a free-form object, so its shape is
 * described here and read defensively.
 */
import type { QueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../api';

export interface RuntimeLeg {
  symbol: string;
  kind: string;
  strike: string;
  quantity: number;
  status: string;
  entry_price: string | null;
  mark: string | null;
  best_bid: string | null;
  best_ask: string | null;
  delta: number | null;
  pnl: string | null;
}

export interface ExitLevel {
  name: string;
  profit_pct: string;
  combined_premium: string;
  distance_pct: string;
}

export interface LegStopLevel {
  leg: 'call' | 'put';
  stop_price: string;
  mark: string;
  distance_pct: string;
}

export interface ExitLevels {
  profit_pct: string;
  max_loss: ExitLevel | null;
  take_profit: ExitLevel | null;
  trailing_stop: ExitLevel | null;
  next_trailing_trigger: ExitLevel | null;
  leg_stops: LegStopLevel[];
  exit_deadline: string;
  seconds_to_exit_deadline: number;
  expiry_approach_at: string;
  seconds_to_expiry_approach: number;
}

export interface PnlSnapshot {
  credit_per_unit: string;
  cost_to_close_per_unit: string;
  pnl_usd: string;
  profit_pct: string;
  call_move_pct: string;
  put_move_pct: string;
}

export interface RuntimeEvent {
  timestamp: string;
  kind: string;
  level: string;
  message: string;
}

export interface OpenOrder {
  client_order_id: string;
  symbol: string;
  side: string;
  size: number;
  filled: number;
  limit_price: string | null;
  state: string;
  purpose: string;
}

export interface Runtime {
  strategy_id: number;
  name: string;
  state: string;
  detail: string;
  mode: string;
  underlying: string;
  version: number;
  run_version: number | null;
  /** contracts per leg of the saved config (what the next start runs) */
  quantity: number | null;
  now: string;
  spot: string | null;
  countdowns: { to_entry_s: number | null; to_exit_s: number | null; to_expiry_s: number | null };
  session: {
    id: string;
    status: string;
    credit: string;
    net_pnl: string;
    /** fees paid so far (entry, then exit): the open PnL is before them */
    fees: string;
    exit_reason: string | null;
    expiry: string;
    exit_deadline: string;
    opened_at: string | null;
    error: string | null;
  } | null;
  legs: RuntimeLeg[];
  pnl: PnlSnapshot | null;
  levels: ExitLevels | null;
  open_orders: OpenOrder[];
  events: RuntimeEvent[];
  /** Client-side: Date.now() when this payload's `countdowns` were measured. */
  receivedAt: number;
}

export const runtimeKey = (id: number) => ['runtime', id] as const;

export function normalizeRuntime(data: unknown, receivedAt = Date.now()): Runtime {
  const d = (data ?? {}) as Partial<Runtime>;
  return {
    strategy_id: d.strategy_id ?? 0,
    name: d.name ?? '',
    state: d.state ?? 'idle',
    detail: d.detail ?? '',
    mode: d.mode ?? 'paper',
    underlying: d.underlying ?? '',
    version: d.version ?? 0,
    run_version: d.run_version ?? null,
    quantity: d.quantity ?? null,
    now: d.now ?? new Date(receivedAt).toISOString(),
    spot: d.spot ?? null,
    countdowns: d.countdowns ?? { to_entry_s: null, to_exit_s: null, to_expiry_s: null },
    session: d.session ?? null,
    legs: d.legs ?? [],
    pnl: d.pnl ?? null,
    levels: d.levels ?? null,
    open_orders: d.open_orders ?? [],
    events: d.events ?? [],
    receivedAt,
  };
}

export async function fetchRuntime(id: number): Promise<Runtime> {
  const data = await unwrap(api.GET('/api/strategies/{strategy_id}/runtime', { params: { path: { strategy_id: id } } }));
  return normalizeRuntime(data);
}

type Quote = { mark?: string; best_bid?: string | null; best_ask?: string | null; delta?: number | null };

/**
 * A `runtime:<id>` tick (backend StrategyRunner._tick_payload): every part of the runtime payload
 * that moves with the market or the clock while a session is open. Decimals are exact strings.
 */
export interface RuntimeTick {
  tick: true;
  now?: string;
  spot?: string | null;
  countdowns?: { to_exit_s?: number | null; to_expiry_s?: number | null };
  pnl?: PnlSnapshot | null;
  levels?: ExitLevels | null;
  quotes?: Record<string, Quote>;
  /** Open PnL per leg symbol, computed by the backend exactly as in the runtime payload. */
  leg_pnl?: Record<string, string | null>;
}

const num = (v: unknown, fallback: number | null): number | null => (typeof v === 'number' ? v : fallback);

/**
 * Merge a pushed runtime event into the cached payload. Returns the merged runtime and whether
 * a full refetch is worthwhile (state changes, session open/close: the shape changed).
 */
export function mergeRuntimeEvent(prev: Runtime, data: unknown, now = Date.now()): { next: Runtime; refetch: boolean } {
  const d = (data ?? {}) as Record<string, unknown>;
  let next = prev;
  let refetch = false;
  if (typeof d.state === 'string') {
    next = { ...next, state: d.state, detail: typeof d.detail === 'string' ? d.detail : next.detail };
    refetch = true;
  }
  if (d.tick === true) {
    const t = d as unknown as RuntimeTick;
    const pnl = t.pnl ?? next.pnl;
    const levels = t.levels ?? next.levels;
    const quotes = t.quotes ?? {};
    const legPnl = t.leg_pnl ?? {};
    const legs = next.legs.map((leg) => {
      const q = quotes[leg.symbol];
      if (!q) return leg;
      // the backend's exact decimal string; kept as is (never re-derived in floating point)
      const pnlStr = leg.symbol in legPnl ? (legPnl[leg.symbol] ?? null) : leg.pnl;
      return { ...leg, mark: q.mark ?? leg.mark, best_bid: q.best_bid ?? null, best_ask: q.best_ask ?? null, delta: q.delta ?? leg.delta, pnl: pnlStr };
    });
    const elapsed = (now - next.receivedAt) / 1000;
    const shift = (v: number | null) => (v === null ? null : v - elapsed);
    const c = t.countdowns ?? {};
    next = {
      ...next,
      now: typeof t.now === 'string' ? t.now : next.now,
      // a tick without a feed spot keeps the last known one
      spot: typeof t.spot === 'string' ? t.spot : next.spot,
      pnl,
      levels,
      legs,
      receivedAt: now,
      countdowns: {
        to_entry_s: shift(next.countdowns.to_entry_s),
        to_exit_s: num(c.to_exit_s, levels ? levels.seconds_to_exit_deadline : shift(next.countdowns.to_exit_s)),
        to_expiry_s: num(c.to_expiry_s, shift(next.countdowns.to_expiry_s)),
      },
    };
  }
  if (typeof d.event === 'object' && d.event !== null) {
    const e = d.event as Partial<RuntimeEvent>;
    const ev: RuntimeEvent = {
      timestamp: new Date(now).toISOString(),
      kind: String(e.kind ?? 'event'),
      level: String(e.level ?? 'info'),
      message: String(e.message ?? ''),
    };
    next = { ...next, events: [ev, ...next.events].slice(0, 50) };
    refetch = true;
  }
  if ('session_id' in d || 'session_closed' in d) refetch = true;
  return { next, refetch };
}

/** Apply a pushed snapshot. */
export function applySnapshot(qc: QueryClient, id: number, data: unknown): void {
  qc.setQueryData(runtimeKey(id), normalizeRuntime(data));
}

/** What the panel's money figures say, and under which labels: an active session shows its open
 * PnL (before fees, with the fees paid so far beside it); otherwise the last session's booked net
 * (after fees) and its % of that session's credit. */
export function panelFigures(r: Pick<Runtime, 'session' | 'pnl'>): {
  active: boolean;
  creditLabel: string;
  pnlLabel: string;
  pnlUsd: string | null;
  pnlPct: string | null;
  fees: string | null;
} {
  const s = r.session;
  const active = s !== null && ['entering', 'open', 'exiting'].includes(s.status);
  if (active) {
    return { active, creditLabel: 'Credit (USD)', pnlLabel: 'Open PnL before fees (USD)', pnlUsd: r.pnl?.pnl_usd ?? null, pnlPct: r.pnl?.profit_pct ?? null, fees: s.fees ?? null };
  }
  const credit = s ? Number(s.credit) : NaN;
  const pct = s && Number.isFinite(credit) && credit > 0 ? String((Number(s.net_pnl) / credit) * 100) : null;
  return { active, creditLabel: s ? 'Last session credit (USD)' : 'Credit (USD)', pnlLabel: 'Last session net (USD)', pnlUsd: s ? s.net_pnl : null, pnlPct: pct, fees: s ? (s.fees ?? null) : null };
}

/** The config version the badge names: the one running while the strategy runs (a save applies
 * at the next entry), else the saved one the next start will run. */
export function versionLabel(r: Pick<Runtime, 'state' | 'version' | 'run_version'>): string {
  const running = ['waiting', 'entering', 'open', 'exiting', 'paused'].includes(r.state);
  if (!running || r.run_version === null) return `v${r.version}`;
  return r.run_version === r.version ? `v${r.version}` : `v${r.run_version} (v${r.version} next)`;
}
