import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTopic } from '../../realtime/hooks';
import { STRATEGIES } from '../strategy/api';
import { toNum } from '../strategy/format';
import { fetchRuntime, mergeRuntimeEvent, normalizeRuntime, runtimeKey, type Runtime } from './runtime';

export interface PnlPoint {
  t: number;
  pnl: number;
}

/**
 * Coalesces bursts of "refetch please" into one run of `fn` after `ms`. A request that arrives
 * while `fn` is still running schedules exactly one more run, so a fetch always starts after
 * the last request (no update is lost to a fetch that began before it).
 */
function useCoalesced(fn: () => Promise<unknown>, ms: number): () => void {
  const latest = useRef(fn);
  const s = useRef<{ timer: ReturnType<typeof setTimeout> | null; running: boolean; again: boolean; alive: boolean }>({
    timer: null,
    running: false,
    again: false,
    alive: true,
  });
  useEffect(() => {
    latest.current = fn;
  });
  useEffect(() => {
    const st = s.current;
    st.alive = true;
    return () => {
      st.alive = false;
      if (st.timer) clearTimeout(st.timer);
      st.timer = null;
    };
  }, []);
  return useCallback(() => {
    const st = s.current;
    const fire = () => {
      st.timer = null;
      if (!st.alive) return;
      st.running = true;
      st.again = false;
      void latest.current().finally(() => {
        st.running = false;
        if (st.again && st.alive) {
          st.again = false;
          st.timer = setTimeout(fire, ms);
        }
      });
    };
    if (st.running) {
      st.again = true;
      return;
    }
    if (!st.timer) st.timer = setTimeout(fire, ms);
  }, [ms]);
}

/**
 * One strategy's runtime: loaded over HTTP once, then kept current by the `runtime:<id>` topic
 * (snapshots replace, events merge; state/session changes trigger one throttled refetch;
 * `resync` refetches). No polling. Also collects a PnL series from ticks for the sparkline.
 */
export function useRuntime(id: number) {
  const qc = useQueryClient();
  const query = useQuery({
    queryKey: runtimeKey(id),
    queryFn: () => fetchRuntime(id),
    staleTime: Infinity,
    refetchOnWindowFocus: false,
  });
  const [series, setSeries] = useState<{ session: string | null; points: PnlPoint[] }>({ session: null, points: [] });
  const sessionId = query.data?.session?.id ?? null;
  const refetch = useCoalesced(
    () => Promise.all([qc.refetchQueries({ queryKey: runtimeKey(id), exact: true }), qc.invalidateQueries({ queryKey: STRATEGIES })]),
    300,
  );

  const addPoint = (pnl: unknown) => {
    const v = toNum((pnl as { pnl_usd?: string } | null)?.pnl_usd ?? null);
    if (v === null) return;
    setSeries((s) => {
      const points = s.session === sessionId ? s.points : [];
      return { session: sessionId, points: [...points, { t: Date.now(), pnl: v }].slice(-600) };
    });
  };

  useTopic(`runtime:${id}`, (m) => {
    if (m.type === 'snapshot') {
      const r = normalizeRuntime(m.data);
      qc.setQueryData(runtimeKey(id), r);
      if (r.pnl) addPoint(r.pnl);
    } else if (m.type === 'event') {
      const prev = qc.getQueryData<Runtime>(runtimeKey(id));
      if (!prev) {
        refetch();
        return;
      }
      const { next, refetch: again } = mergeRuntimeEvent(prev, m.data);
      qc.setQueryData(runtimeKey(id), next);
      const d = m.data as { tick?: boolean; pnl?: unknown };
      if (d?.tick) addPoint(d.pnl);
      // A tick for a session we do not show as open means our copy is behind: heal it.
      const behind = d?.tick === true && (!prev.session || prev.session.status === 'entering' || prev.legs.some((l) => l.entry_price === null));
      if (again || behind) refetch();
    } else if (m.type === 'resync') {
      refetch();
    }
  });

  // Order state changes (placed, filled, cancelled) are pushed on `orders`: refresh open orders.
  useTopic('orders', (m) => {
    if (m.type !== 'event') return;
    const d = m.data as { strategy_id?: unknown } | null;
    if (d && d.strategy_id === id) refetch();
  });

  const points = series.session === sessionId ? series.points : [];
  return { query, points };
}

/** Date.now(), re-rendered every `ms` (countdowns tick locally between pushes). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** Seconds left on a countdown measured at `receivedAt`, as of `now`. */
export function remaining(seconds: number | null | undefined, receivedAt: number, now: number): number | null {
  if (seconds === null || seconds === undefined) return null;
  return seconds - (now - receivedAt) / 1000;
}
