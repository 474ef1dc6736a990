import { Text } from '@mantine/core';
import type { PnlPoint } from './useRuntime';

/** A small SVG line of PnL over the session (zero line dashed; green above, red below). */
export function PnlSparkline({ points, height = 64 }: { points: PnlPoint[]; height?: number }) {
  if (points.length < 2) {
    return (
      <Text size="xs" c="dimmed" data-testid="pnl-sparkline-empty">
        The PnL chart fills in as ticks arrive.
      </Text>
    );
  }
  const w = 300;
  const h = height;
  const t0 = points[0]!.t;
  const t1 = points.at(-1)!.t;
  const lo = Math.min(0, ...points.map((p) => p.pnl));
  const hi = Math.max(0, ...points.map((p) => p.pnl));
  const span = hi - lo || 1;
  const x = (t: number) => ((t - t0) / (t1 - t0 || 1)) * w;
  const y = (v: number) => h - 2 - ((v - lo) / span) * (h - 4);
  const d = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.pnl).toFixed(1)}`).join(' ');
  const last = points.at(-1)!.pnl;
  const color = last >= 0 ? 'var(--mantine-color-teal-6)' : 'var(--mantine-color-red-6)';
  return (
    <svg
      viewBox={`0 0 ${w} ${h}`}
      width="100%"
      height={h}
      preserveAspectRatio="none"
      role="img"
      aria-label={`PnL over the session: ${points.length} ticks, last ${last.toFixed(2)} USD, range ${lo.toFixed(2)} to ${hi.toFixed(2)}`}
      data-testid="pnl-sparkline"
    >
      <line x1={0} x2={w} y1={y(0)} y2={y(0)} stroke="var(--mantine-color-dimmed)" strokeDasharray="4 4" strokeWidth={1} vectorEffect="non-scaling-stroke" />
      <path d={d} fill="none" stroke={color} strokeWidth={2} vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
