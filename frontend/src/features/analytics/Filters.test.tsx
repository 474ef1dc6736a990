/**
 * The Analytics filters as typed by a user: native date inputs report every intermediate value
 * of a keystroke (year "2" → 0002-10-01), and the starting capital applies as you type.
 */
import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { saveBlob } from '../../app/download';
import { renderWithProviders, stubApi } from '../../test/utils';
import AnalyticsPage from './AnalyticsPage';
import { historyBody as historyFixture, summaryBody as summaryFixture } from './testFixtures';
import { customRangeErrors, dateError, isPlausibleDate } from './rangeState';

vi.mock('./charts', () => ({
  EquityDrawdownChart: () => null,
  DailyPnlChart: () => null,
  RollingWinRateChart: () => null,
  PnlHistogram: () => null,
}));
vi.mock('../../app/download', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../app/download')>()),
  saveBlob: vi.fn(),
}));

const range = { start: null, end: '2025-10-31T23:59:59Z', timezone: 'UTC', preset: null, strategy_id: null, generated_at: '2025-10-31T10:00:00Z' };
const summaryBody = summaryFixture(range);
const historyBody = historyFixture(range);

let urls: URL[] = [];
beforeEach(() => {
  vi.mocked(saveBlob).mockClear();
  vi.useFakeTimers({ shouldAdvanceTime: true });
  urls = stubApi({
    '/api/analytics/summary': summaryBody,
    '/api/analytics/history': historyBody,
    '/api/strategies': [],
    // echo the capital the request carried, as the server's CSV does
    '/api/analytics/export': (url: URL) =>
      new Response(`section,field,value\r\nmetrics,starting_capital,${url.searchParams.get('starting_capital') ?? '0'}\r\n`, {
        status: 200,
        headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="analytics.csv"' },
      }),
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const CUSTOM = '/analytics?start=2024-10-01&end=2025-10-31&tz=UTC';
const summaries = () => urls.filter((u) => u.pathname === '/api/analytics/summary');
const lastSummary = () => summaries().at(-1)!;
const exports = () => urls.filter((u) => u.pathname === '/api/analytics/export');
const input = (testId: string) => screen.getByTestId(testId) as HTMLInputElement;
/** Let debounces run: 500 ms of the fake clock, with the promises it releases. */
const settle = (ms = 500) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });

async function renderLoaded(route: string) {
  renderWithProviders(<AnalyticsPage />, { route });
  await screen.findByTestId('analytics-empty');
}

describe('typed date checks', () => {
  it('a date applies only when complete, real and from year 2000 on', () => {
    expect(['0002-10-31', '0020-10-31', '0202-10-31', '2025-09-31', '', '2025-9-1'].map(isPlausibleDate)).toEqual([false, false, false, false, false, false]);
    expect(isPlausibleDate('2025-10-31')).toBe(true);
    expect(dateError('0025-10-31')).toBe('Year must be 2000 or later');
    expect(dateError('')).toBe('Enter a complete date');
    expect(customRangeErrors('2025-11-05', '2025-10-31', 'end')).toEqual({ start: null, end: 'From must be on or before To' });
    expect(customRangeErrors('2025-10-31', '2025-10-31')).toEqual({ start: null, end: null });
  });
});

describe('Analytics custom range typed with the keyboard', () => {
  it('keeps each intermediate year in the input and queries only the complete date', async () => {
    await renderLoaded(CUSTOM);
    expect(lastSummary().searchParams.get('start')).toBe('2024-10-01');

    // typing "2025" into the year segment: the browser reports 0002, 0020, 0202, then 2025
    for (const v of ['0002-10-01', '0020-10-01', '0202-10-01']) {
      fireEvent.change(input('range-start'), { target: { value: v } });
      expect(input('range-start').value).toBe(v);
      await settle();
    }
    fireEvent.change(input('range-start'), { target: { value: '2025-10-01' } });
    await settle();

    const starts = summaries().map((u) => u.searchParams.get('start'));
    expect(starts.every((s) => s === null || s >= '2000')).toBe(true);
    expect(lastSummary().searchParams.get('start')).toBe('2025-10-01');
    expect(lastSummary().searchParams.get('end')).toBe('2025-10-31');
    expect(input('range-start').value).toBe('2025-10-01');
  });

  it('typing month then day keeps what was typed and applies only the finished date', async () => {
    await renderLoaded('/analytics?start=2025-10-31&end=2025-12-31&tz=UTC');
    const before = summaries().length;

    // "09" into the month of 2025-10-31: 2025-09-31 does not exist, so the browser reports ""
    fireEvent.change(input('range-start'), { target: { value: '' } });
    expect(input('range-start').value).toBe('');
    // "1", "5" into the day
    fireEvent.change(input('range-start'), { target: { value: '2025-09-01' } });
    expect(input('range-start').value).toBe('2025-09-01');
    fireEvent.change(input('range-start'), { target: { value: '2025-09-15' } });
    expect(input('range-start').value).toBe('2025-09-15');
    expect(summaries()).toHaveLength(before); // nothing applied mid-typing
    await settle();

    const applied = summaries().slice(before).map((u) => u.searchParams.get('start'));
    expect(applied).toEqual(['2025-09-15']);
    expect(lastSummary().searchParams.get('end')).toBe('2025-12-31');
  });

  it('an incomplete date shows an inline error on blur and is not applied', async () => {
    await renderLoaded(CUSTOM);
    const before = summaries().length;
    fireEvent.change(input('range-end'), { target: { value: '' } });
    fireEvent.blur(input('range-end'));
    await settle();
    expect(screen.getByText('Enter a complete date')).toBeInTheDocument();
    expect(input('range-end')).toHaveAttribute('aria-invalid', 'true');
    expect(summaries()).toHaveLength(before);
    expect(input('range-start').value).toBe('2024-10-01');
  });

  it('a reversed range shows "From must be on or before To" instead of moving the other end', async () => {
    await renderLoaded(CUSTOM);
    const before = summaries().length;

    fireEvent.change(input('range-start'), { target: { value: '2025-11-05' } });
    fireEvent.keyDown(input('range-start'), { key: 'Enter' });
    await settle();
    expect(screen.getByText('From must be on or before To')).toBeInTheDocument();
    expect(input('range-end').value).toBe('2025-10-31'); // the other end stays put
    expect(input('range-start').value).toBe('2025-11-05');
    expect(summaries()).toHaveLength(before);

    // fixing the other end applies both
    fireEvent.change(input('range-end'), { target: { value: '2025-11-30' } });
    await settle();
    expect(screen.queryByText('From must be on or before To')).not.toBeInTheDocument();
    expect(lastSummary().searchParams.get('start')).toBe('2025-11-05');
    expect(lastSummary().searchParams.get('end')).toBe('2025-11-30');
  });
});

describe('Analytics starting capital', () => {
  it('applies ~400 ms after typing stops, without blur or Enter', async () => {
    await renderLoaded('/analytics?preset=7d&tz=UTC');
    const before = summaries().length;
    fireEvent.change(input('capital-input'), { target: { value: '1000' } });
    fireEvent.change(input('capital-input'), { target: { value: '10000' } });
    await settle(200);
    expect(summaries()).toHaveLength(before); // still typing
    await settle(300);
    expect(summaries().slice(before).map((u) => u.searchParams.get('starting_capital'))).toEqual(['10000']);
    expect(input('capital-input').value).toBe('10000');
  });

  it('Export CSV right after typing exports the capital in the field', async () => {
    await renderLoaded('/analytics?preset=7d&tz=UTC');
    fireEvent.change(input('capital-input'), { target: { value: '10000' } });
    fireEvent.click(screen.getByTestId('export-csv')); // before the debounce fires
    await settle();

    expect(exports()).toHaveLength(1);
    expect(exports()[0]!.searchParams.get('starting_capital')).toBe('10000');
    expect(vi.mocked(saveBlob)).toHaveBeenCalledTimes(1);
    const [blob] = vi.mocked(saveBlob).mock.calls[0]!;
    expect(await blob.text()).toContain('metrics,starting_capital,10000');
    // and the page (KPIs) now uses it too
    expect(lastSummary().searchParams.get('starting_capital')).toBe('10000');
  });

  it('an invalid capital shows an inline error, is not applied, and is not exported', async () => {
    await renderLoaded('/analytics?preset=7d&tz=UTC&capital=5000');
    const before = summaries().length;
    for (const bad of ['-5', 'ten']) {
      fireEvent.change(input('capital-input'), { target: { value: bad } });
      await settle();
      expect(screen.getByText('A number ≥ 0, e.g. 10000')).toBeInTheDocument();
      expect(input('capital-input').value).toBe(bad);
    }
    expect(summaries()).toHaveLength(before);

    fireEvent.click(screen.getByTestId('export-csv'));
    await settle();
    expect(exports()).toHaveLength(0);
    expect(within(document.body).getByText(/Fix the starting capital/)).toBeInTheDocument();
  });
});
