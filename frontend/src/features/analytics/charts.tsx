/**
 * Finance charts on lightweight-charts 5 (canvas). Colours follow the Mantine colour scheme;
 * times are shifted into the selected timezone because the library draws UTC.
 * Values drawn are floats (canvas needs numbers); the exact figures are in the cards and tables.
 */
import { Box, Text, useComputedColorScheme, useMantineTheme } from '@mantine/core';
import {
  AreaSeries,
  ColorType,
  createChart,
  HistogramSeries,
  LineSeries,
  LineStyle,
  type DeepPartial,
  type ChartOptions,
  type IChartApi,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts';
import { useEffect, useMemo, useRef } from 'react';
import { formatMoney } from './money';
import { tzOffsetSeconds } from './rangeState';
import type { History } from './types';

export interface ChartColors {
  text: string;
  grid: string;
  border: string;
  up: string;
  down: string;
  line: string;
  lineTop: string;
  lineBottom: string;
  ddLine: string;
  ddTop: string;
  ddBottom: string;
  accent: string;
}

export function useChartColors(): ChartColors {
  const theme = useMantineTheme();
  const scheme = useComputedColorScheme('light', { getInitialValueInEffect: false });
  return useMemo(() => {
    const dark = scheme === 'dark';
    const c = theme.colors;
    return {
      text: dark ? c.dark[1] : c.gray[7],
      grid: dark ? 'rgba(255,255,255,0.06)' : 'rgba(0,0,0,0.06)',
      border: dark ? c.dark[4] : c.gray[3],
      up: dark ? c.teal[5] : c.teal[7],
      down: dark ? c.red[5] : c.red[7],
      line: dark ? (c.signal?.[4] ?? '#3bc9db') : (c.signal?.[8] ?? '#0c8599'),
      lineTop: dark ? 'rgba(59,201,219,0.28)' : 'rgba(12,133,153,0.22)',
      lineBottom: 'rgba(0,0,0,0)',
      ddLine: dark ? c.red[5] : c.red[7],
      ddTop: 'rgba(0,0,0,0)',
      ddBottom: dark ? 'rgba(250,82,82,0.35)' : 'rgba(224,49,49,0.25)',
      accent: dark ? c.yellow[5] : c.orange[7],
    };
  }, [scheme, theme]);
}

function baseOptions(colors: ChartColors, fontFamily: string): DeepPartial<ChartOptions> {
  return {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: 'transparent' },
      textColor: colors.text,
      fontFamily,
      fontSize: 11,
      panes: { separatorColor: colors.border, separatorHoverColor: colors.border, enableResize: false },
    },
    grid: { vertLines: { color: colors.grid }, horzLines: { color: colors.grid } },
    rightPriceScale: { borderColor: colors.border },
    timeScale: { borderColor: colors.border, timeVisible: true, secondsVisible: false },
    crosshair: { horzLine: { labelBackgroundColor: colors.border }, vertLine: { labelBackgroundColor: colors.border } },
    handleScroll: { mouseWheel: false, pressedMouseMove: true, horzTouchDrag: true, vertTouchDrag: false },
    handleScale: { mouseWheel: false, pinch: true, axisPressedMouseMove: true },
    localization: {
      // axis labels: cents only below $1,000 (narrow on phones); exact values are in the cards/tables
      priceFormatter: (p: number) => formatMoney(p.toFixed(Math.abs(p) >= 1000 ? 0 : 2), { minDp: Math.abs(p) >= 1000 ? 0 : 2, maxDp: 2 }),
    },
  };
}

/**
 * Timestamps -> strictly increasing chart times in `tz` (the library rejects duplicates: when
 * several trades close in the same second, the last value of that second wins).
 */
export function toChartPoints<T>(items: readonly T[], iso: (t: T) => string, value: (t: T) => number, tz: string): { time: UTCTimestamp; value: number }[] {
  const out: { time: UTCTimestamp; value: number }[] = [];
  for (const item of items) {
    const ms = Date.parse(iso(item));
    if (Number.isNaN(ms)) continue;
    const time = (Math.floor(ms / 1000) + tzOffsetSeconds(ms, tz)) as UTCTimestamp;
    const v = value(item);
    if (!Number.isFinite(v)) continue;
    const last = out[out.length - 1];
    if (last && time <= last.time) last.value = v;
    else out.push({ time, value: v });
  }
  return out;
}

function useLwChart(build: (el: HTMLDivElement) => IChartApi, deps: unknown[]) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let chart: IChartApi | null = null;
    try {
      chart = build(el);
      chart.timeScale().fitContent();
    } catch (err) {
      // A canvas-less environment (tests) or a bad series must not take the page down.
      console.warn('chart failed', err);
    }
    return () => chart?.remove();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return ref;
}

function ChartBox({ label, height, chartRef, testId }: { label: string; height: number; chartRef: React.RefObject<HTMLDivElement | null>; testId: string }) {
  return <Box ref={chartRef} role="img" aria-label={label} data-testid={testId} h={height} w="100%" style={{ position: 'relative' }} />;
}

export function EquityDrawdownChart({ history, tz, height = 340 }: { history: History; tz: string; height?: number }) {
  const colors = useChartColors();
  const theme = useMantineTheme();
  const equity = useMemo(() => toChartPoints(history.equity_curve, (p) => p.timestamp, (p) => Number(p.equity), tz), [history.equity_curve, tz]);
  const drawdown = useMemo(
    () => toChartPoints(history.drawdown, (p) => p.timestamp, (p) => -Number(p.drawdown), tz),
    [history.drawdown, tz],
  );
  const ref = useLwChart(
    (el) => {
      const chart = createChart(el, baseOptions(colors, theme.fontFamily ?? 'sans-serif'));
      const eq = chart.addSeries(AreaSeries, {
        lineColor: colors.line,
        topColor: colors.lineTop,
        bottomColor: colors.lineBottom,
        lineWidth: 2,
        priceLineVisible: false,
        title: 'Equity',
      });
      eq.setData(equity);
      eq.createPriceLine({ price: Number(history.starting_capital), color: colors.border, lineStyle: LineStyle.Dashed, lineWidth: 1, axisLabelVisible: false, title: '' });
      const dd = chart.addSeries(
        AreaSeries,
        {
          lineColor: colors.ddLine,
          topColor: colors.ddTop,
          bottomColor: colors.ddBottom,
          invertFilledArea: true,
          lineWidth: 1,
          priceLineVisible: false,
          lastValueVisible: true,
          title: 'Drawdown',
        },
        1,
      );
      dd.setData(drawdown);
      const panes = chart.panes();
      panes[0]?.setStretchFactor(0.7);
      panes[1]?.setStretchFactor(0.3);
      return chart;
    },
    [equity, drawdown, colors, history.starting_capital],
  );
  const last = history.equity_curve[history.equity_curve.length - 1];
  return (
    <ChartBox
      chartRef={ref}
      height={height}
      testId="chart-equity"
      label={`Equity curve of ${history.equity_curve.length} trades${last ? `, final equity ${formatMoney(last.equity)}` : ''}, with drawdown below`}
    />
  );
}

export function DailyPnlChart({ history, height = 220 }: { history: History; height?: number }) {
  const colors = useChartColors();
  const theme = useMantineTheme();
  const bars = useMemo(
    () =>
      history.daily_pnl.map((d) => {
        const v = Number(d.net_pnl);
        return { time: d.date as Time, value: v, color: v > 0 ? colors.up : v < 0 ? colors.down : colors.border };
      }),
    [history.daily_pnl, colors],
  );
  const ref = useLwChart(
    (el) => {
      const chart = createChart(el, { ...baseOptions(colors, theme.fontFamily ?? 'sans-serif'), timeScale: { borderColor: colors.border, timeVisible: false } });
      const s = chart.addSeries(HistogramSeries, { priceLineVisible: false, lastValueVisible: false, base: 0 });
      s.setData(bars);
      return chart;
    },
    [bars, colors],
  );
  return <ChartBox chartRef={ref} height={height} testId="chart-daily" label={`Daily net PnL bars for ${history.daily_pnl.length} days`} />;
}

export function RollingWinRateChart({ history, tz, height = 220 }: { history: History; tz: string; height?: number }) {
  const colors = useChartColors();
  const theme = useMantineTheme();
  const points = useMemo(
    () => toChartPoints(history.rolling_win_rate, (p) => p.timestamp, (p) => p.win_rate * 100, tz),
    [history.rolling_win_rate, tz],
  );
  const ref = useLwChart(
    (el) => {
      const chart = createChart(el, {
        ...baseOptions(colors, theme.fontFamily ?? 'sans-serif'),
        localization: { priceFormatter: (p: number) => `${p.toFixed(0)}%` },
      });
      const s = chart.addSeries(LineSeries, {
        color: colors.accent,
        lineWidth: 2,
        priceLineVisible: false,
        autoscaleInfoProvider: () => ({ priceRange: { minValue: 0, maxValue: 100 } }),
      });
      chart.priceScale('right').applyOptions({ scaleMargins: { top: 0.04, bottom: 0.04 } });
      s.setData(points);
      s.createPriceLine({ price: 50, color: colors.border, lineStyle: LineStyle.Dotted, lineWidth: 1, axisLabelVisible: false, title: '' });
      return chart;
    },
    [points, colors],
  );
  return (
    <ChartBox
      chartRef={ref}
      height={height}
      testId="chart-winrate"
      label={`Rolling win rate over the last ${history.rolling_window} trades`}
    />
  );
}

/** PnL distribution: bins are [lower, upper); drawn as SVG bars (the x axis is money, not time). */
export function PnlHistogram({ history, height = 220 }: { history: History; height?: number }) {
  const colors = useChartColors();
  const bins = history.pnl_histogram;
  const max = Math.max(1, ...bins.map((b) => b.count));
  if (bins.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No trades to bin.
      </Text>
    );
  }
  const w = 100 / bins.length;
  const plotH = height - 2;
  return (
    <Box data-testid="chart-histogram">
      <svg
        role="img"
        aria-label={`Histogram of trade net PnL in ${bins.length} bins`}
        viewBox={`0 0 100 ${height}`}
        preserveAspectRatio="none"
        width="100%"
        height={height}
        style={{ display: 'block' }}
      >
        {bins.map((b, i) => {
          const h = (b.count / max) * plotH;
          const neg = Number(b.upper) <= 0;
          return (
            <rect
              key={`${b.lower}`}
              x={i * w + w * 0.08}
              y={plotH - h}
              width={w * 0.84}
              height={Math.max(h, b.count > 0 ? 1 : 0)}
              fill={neg ? colors.down : colors.up}
              opacity={0.85}
            >
              <title>{`${formatMoney(b.lower)} to ${formatMoney(b.upper)}: ${b.count} trade${b.count === 1 ? '' : 's'}`}</title>
            </rect>
          );
        })}
        <line x1={0} x2={100} y1={plotH} y2={plotH} stroke={colors.border} strokeWidth={0.5} vectorEffect="non-scaling-stroke" />
      </svg>
      <Box style={{ display: 'flex', justifyContent: 'space-between', marginTop: 4 }}>
        <Text size="xs" c="dimmed" ff="monospace">
          {formatMoney(bins[0]?.lower, { maxDp: 2 })}
        </Text>
        <Text size="xs" c="dimmed">
          max {max} trade{max === 1 ? '' : 's'} / bin
        </Text>
        <Text size="xs" c="dimmed" ff="monospace">
          {formatMoney(bins[bins.length - 1]?.upper, { maxDp: 2 })}
        </Text>
      </Box>
    </Box>
  );
}
