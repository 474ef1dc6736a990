/**
 * The History date filters as typed by a user: a native date input reports every intermediate
 * value of a keystroke (year "2" → 0002-10-01, "20" → 0020-10-01, …), and "" while half-typed.
 */
import { act, fireEvent, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { renderWithProviders, stubApi } from '../../test/utils';
import HistoryPage from './HistoryPage';

const emptyPage = { items: [], page: 1, page_size: 25, pages: 0, total: 0 };

let urls: URL[] = [];
beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  urls = stubApi({ '/api/sessions': emptyPage, '/api/strategies': [] });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

const lists = () => urls.filter((u) => u.pathname === '/api/sessions');
const last = () => lists().at(-1)!;
const starts = () => lists().map((u) => u.searchParams.get('start'));
const input = (testId: string) => screen.getByTestId(testId) as HTMLInputElement;
/** Let debounces run: 500 ms of the fake clock, with the promises it releases. */
const settle = (ms = 500) =>
  act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
const type = (testId: string, value: string) => fireEvent.change(input(testId), { target: { value } });

async function renderLoaded() {
  renderWithProviders(<HistoryPage />, { route: '/history' });
  await screen.findByText('No sessions yet.');
  expect(last().searchParams.has('start')).toBe(false);
}

/** Type and apply a whole date (as after a pause). */
async function applyDate(testId: string, value: string) {
  type(testId, value);
  await settle();
}

describe('History date filters typed with the keyboard', () => {
  it('keeps each intermediate year in the input and queries only the complete date', async () => {
    await renderLoaded();
    const before = lists().length;

    // typing "2025" into the year segment: the browser reports 0002, 0020, 0202, then 2025
    for (const v of ['0002-10-01', '0020-10-01', '0202-10-01']) {
      type('filter-start', v);
      expect(input('filter-start').value).toBe(v);
      await settle();
      expect(input('filter-start').value).toBe(v); // not put back to the applied (empty) value
    }
    expect(lists()).toHaveLength(before);
    type('filter-start', '2025-10-01');
    await settle();

    expect(starts().every((s) => s === null || s >= '2000')).toBe(true);
    expect(lists().slice(before).map((u) => u.searchParams.get('start'))).toEqual(['2025-10-01']);
    expect(last().searchParams.get('date_field')).toBe('created_at');
    expect(last().searchParams.has('end')).toBe(false); // the other end stays open
    expect(input('filter-start').value).toBe('2025-10-01');
  });

  it('applies a complete date ~400 ms after typing stops, or at once on Enter or blur', async () => {
    await renderLoaded();
    const before = lists().length;

    type('filter-end', '2025-10-31');
    await settle(200);
    expect(lists()).toHaveLength(before); // still typing
    await settle(300);
    expect(lists().slice(before).map((u) => u.searchParams.get('end'))).toEqual(['2025-10-31']);

    type('filter-start', '2025-10-01');
    fireEvent.keyDown(input('filter-start'), { key: 'Enter' });
    await settle(50);
    expect(last().searchParams.get('start')).toBe('2025-10-01');

    type('filter-start', '2025-10-02');
    fireEvent.blur(input('filter-start'));
    await settle(50);
    expect(last().searchParams.get('start')).toBe('2025-10-02');
    expect(last().searchParams.get('end')).toBe('2025-10-31');
  });

  it('a reversed range shows "From must be on or before To" and applies nothing', async () => {
    await renderLoaded();
    await applyDate('filter-start', '2025-10-01');
    await applyDate('filter-end', '2025-10-31');
    const before = lists().length;

    type('filter-start', '2025-11-05');
    fireEvent.keyDown(input('filter-start'), { key: 'Enter' });
    await settle();
    expect(screen.getByText('From must be on or before To')).toBeInTheDocument();
    expect(input('filter-start')).toHaveAttribute('aria-invalid', 'true');
    expect(input('filter-start').value).toBe('2025-11-05');
    expect(input('filter-end').value).toBe('2025-10-31'); // the other end stays put
    expect(lists()).toHaveLength(before);
    expect(starts()).not.toContain('2025-11-05');

    // fixing the other end applies both
    type('filter-end', '2025-11-30');
    await settle();
    expect(screen.queryByText('From must be on or before To')).not.toBeInTheDocument();
    expect(lists()).toHaveLength(before + 1);
    expect(last().searchParams.get('start')).toBe('2025-11-05');
    expect(last().searchParams.get('end')).toBe('2025-11-30');
  });

  it('clearing a date applies the open range at once, without querying what was half-typed', async () => {
    await renderLoaded();
    await applyDate('filter-start', '2025-10-01');
    await applyDate('filter-end', '2025-10-31');
    const before = lists().length;

    type('filter-start', '0002-10-01'); // started retyping the year, then cleared the field
    type('filter-start', '');
    await settle(10); // no debounce: just the request
    expect(lists()).toHaveLength(before + 1);
    expect(last().searchParams.has('start')).toBe(false);
    expect(last().searchParams.get('end')).toBe('2025-10-31');
    expect(starts()).not.toContain('0002-10-01');

    expect(input('filter-start').value).toBe('');
    expect(input('filter-end').value).toBe('2025-10-31');
  });

  it('an unfinished date ("" with badInput) shows an inline error on blur and is not applied', async () => {
    await renderLoaded();
    await applyDate('filter-start', '2025-10-01');
    const before = lists().length;

    // the month of 2025-10-01 retyped to "09" and the day deleted: the browser reports "" (badInput)
    Object.defineProperty(input('filter-start'), 'validity', { configurable: true, value: { badInput: true } });
    type('filter-start', '');
    fireEvent.blur(input('filter-start'));
    await settle();
    expect(screen.getByText('Enter a complete date')).toBeInTheDocument();
    expect(input('filter-start')).toHaveAttribute('aria-invalid', 'true');
    expect(lists()).toHaveLength(before);
  });

  it('the inputs follow the applied value when the filters are cleared', async () => {
    await renderLoaded();
    await applyDate('filter-start', '2025-10-01');
    type('filter-end', '2025-09-01'); // reversed, not applied
    await settle();
    expect(screen.getByText('From must be on or before To')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await settle(10);
    expect(input('filter-start').value).toBe('');
    expect(input('filter-end').value).toBe('');
    expect(screen.queryByText('From must be on or before To')).not.toBeInTheDocument();
  });
});
