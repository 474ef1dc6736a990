import { act, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders } from '../../test/utils';
import AnalyticsPage from './AnalyticsPage';
import { historyBody as historyFixture, summaryBody as summaryFixture } from './testFixtures';

vi.mock('./charts', () => ({
  EquityDrawdownChart: () => <div data-testid="chart-equity" />,
  DailyPnlChart: () => null,
  RollingWinRateChart: () => null,
  PnlHistogram: () => null,
}));

const range = { start: null, end: '2025-06-01T10:00:00Z', timezone: 'UTC', preset: '7d', strategy_id: null, generated_at: '2025-06-01T10:00:00Z' };
const summaryBody = (tradeCount: number, net = '0') => summaryFixture(range, tradeCount, net);
const historyBody = historyFixture(range);

let urls: URL[] = [];
let trades = 0;
beforeEach(() => {
  urls = [];
  trades = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const url = new URL(req.url);
      urls.push(url);
      if (url.pathname === '/api/analytics/summary') return jsonResponse(200, summaryBody(trades, trades ? '1234.5' : '0'));
      if (url.pathname === '/api/analytics/history') return jsonResponse(200, historyBody);
      if (url.pathname === '/api/strategies') return jsonResponse(200, []);
      return jsonResponse(404, { error: 'not_found', detail: 'nope' });
    }),
  );
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('AnalyticsPage', () => {
  it('explains what to do when the range has no closed sessions', async () => {
    renderWithProviders(<AnalyticsPage />, { route: '/analytics?preset=7d&tz=UTC' });
    expect(await screen.findByTestId('analytics-empty')).toHaveTextContent('No closed sessions in 7D');
    // Start only exists on Live Control: the hint names it and links there (not the Strategies tab)
    const empty = screen.getByTestId('analytics-empty');
    expect(empty).toHaveTextContent('Start a strategy in paper mode on Live Control');
    expect(empty).not.toHaveTextContent('Strategies tab');
    expect(within(empty).getByRole('link', { name: 'Live Control' })).toHaveAttribute('href', '/live');
    expect(screen.getByTestId('updated-at')).toHaveTextContent(/^updated \d\d:\d\d:\d\d$/);
  });

  it('auto-refresh re-sends the preset every 30 s (never a frozen start/end) and picks up new trades', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    renderWithProviders(<AnalyticsPage />, { route: '/analytics?preset=7d&tz=UTC' });
    expect(await screen.findByTestId('analytics-empty')).toBeInTheDocument();
    const summaries = () => urls.filter((u) => u.pathname === '/api/analytics/summary');
    expect(summaries()).toHaveLength(1);

    trades = 3;
    await act(async () => {
      await vi.advanceTimersByTimeAsync(30_000);
    });
    expect(await screen.findByTestId('kpi-net_pnl')).toHaveTextContent('$1,234.50');
    expect(summaries().length).toBeGreaterThanOrEqual(2);
    for (const u of summaries()) {
      expect(u.searchParams.get('preset')).toBe('7d');
      expect(u.searchParams.get('tz')).toBe('UTC');
      expect(u.searchParams.has('start')).toBe(false);
      expect(u.searchParams.has('end')).toBe(false);
    }
  });

  it('shows an error state with the correlation id and a retry', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const url = new URL(req.url);
        if (url.pathname === '/api/analytics/summary')
          return jsonResponse(422, { error: 'validation_error', detail: 'tz: unknown timezone', correlation_id: 'corr-123', status_code: 422 });
        return jsonResponse(200, url.pathname === '/api/strategies' ? [] : historyBody);
      }),
    );
    renderWithProviders(<AnalyticsPage />, { route: '/analytics' });
    const alert = await screen.findByTestId('error-analytics');
    expect(alert).toHaveTextContent('tz: unknown timezone');
    expect(alert).toHaveTextContent('ref corr-123');
    expect(screen.getByRole('button', { name: 'Retry' })).toBeInTheDocument();
  });
});
