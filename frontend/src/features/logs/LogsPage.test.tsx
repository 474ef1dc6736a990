import { notifyManager } from '@tanstack/react-query';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useLocation } from 'react-router';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TopicListener, TopicMessage } from '../../realtime/client';
import { renderWithProviders } from '../../test/utils';
import LogsPage from './LogsPage';
import { entry, fakeLogServer, sizeLogList, summaryOf } from './testkit';

// The realtime socket is replaced by a recorder: the test pushes `logs` topic messages itself.
const topics = vi.hoisted(() => new Map<string, TopicListener>());
vi.mock('../../realtime/hooks', () => ({
  useTopic: (topic: string | null, listener: TopicListener) => {
    if (topic) topics.set(topic, listener);
    else topics.delete('logs');
  },
  useConnectionState: () => 'open',
}));

let restoreSize: () => void = () => {};
beforeAll(() => {
  notifyManager.setScheduler((cb) => cb());
  restoreSize = sizeLogList();
});
afterAll(() => {
  notifyManager.setScheduler((cb) => setTimeout(cb, 0));
  restoreSize();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  topics.clear();
});

function Location() {
  const loc = useLocation();
  return <output data-testid="location">{loc.search}</output>;
}

function renderPage(route = '/logs') {
  return renderWithProviders(
    <>
      <LogsPage />
      <Location />
    </>,
    { route },
  );
}

const shownIds = () => screen.queryAllByTestId('log-row').map((el) => Number(el.getAttribute('data-id')));
const push = (m: TopicMessage) => act(() => topics.get('logs')?.(m));
const live = (row: ReturnType<typeof entry>) => push({ type: 'event', topic: 'logs', data: row });

describe('LogsPage live tail', () => {
  it('turning Live off and on fills the lines written meanwhile, each exactly once', async () => {
    const server = fakeLogServer([entry(1), entry(2), entry(3)]);
    renderPage();
    await waitFor(() => expect(shownIds()).toEqual([3, 2, 1]));

    fireEvent.click(screen.getByTestId('live-toggle'));
    await waitFor(() => expect(topics.has('logs')).toBe(true));
    server.rows.push(entry(4));
    live(entry(4));
    await waitFor(() => expect(shownIds()).toEqual([4, 3, 2, 1]));

    fireEvent.click(screen.getByTestId('live-toggle')); // off
    server.rows.push(entry(5), entry(6)); // written while nobody listened
    fireEvent.click(screen.getByTestId('live-toggle')); // on again
    await waitFor(() => expect(shownIds()).toEqual([6, 5, 4, 3, 2, 1]));
    // the socket may also bring a line the fill already had: still once
    live(entry(6));
    server.rows.push(entry(7));
    live(entry(7));
    await waitFor(() => expect(shownIds()).toEqual([7, 6, 5, 4, 3, 2, 1]));
  });

  it('a `resync` from the socket (messages lost on a reconnect) fetches the missing lines', async () => {
    const server = fakeLogServer([entry(1), entry(2)]);
    renderPage();
    await waitFor(() => expect(shownIds()).toEqual([2, 1]));
    fireEvent.click(screen.getByTestId('live-toggle'));
    await waitFor(() => expect(topics.has('logs')).toBe(true));
    server.rows.push(entry(3), entry(4), entry(5));
    live(entry(5)); // 3 and 4 were lost while the socket was down
    push({ type: 'resync', topic: 'logs', seq: 99 });
    await waitFor(() => expect(shownIds()).toEqual([5, 4, 3, 2, 1]));
  });

  it('expanding a row holds the list still: new lines wait behind "N new lines"', async () => {
    fakeLogServer([entry(1), entry(2)]);
    renderPage();
    await waitFor(() => expect(shownIds()).toEqual([2, 1]));
    fireEvent.click(screen.getByTestId('live-toggle'));
    await waitFor(() => expect(screen.getByTestId('live-state')).toHaveTextContent('live'));

    fireEvent.click(screen.getAllByTestId('log-row')[1]!); // read line 1
    live(entry(3));
    expect(shownIds()).toEqual([2, 1]);
    expect(screen.getByTestId('new-lines')).toHaveTextContent('1 new line');
    expect(screen.getByTestId('live-state')).toHaveTextContent('paused');

    fireEvent.click(screen.getByTestId('new-lines'));
    await waitFor(() => expect(shownIds()).toEqual([3, 2, 1]));
    expect(screen.getByTestId('live-state')).toHaveTextContent('live');
  });

  it('selecting a row with the keyboard holds too; Escape twice lets go', async () => {
    fakeLogServer([entry(1), entry(2)]);
    renderPage();
    await waitFor(() => expect(shownIds()).toEqual([2, 1]));
    fireEvent.click(screen.getByTestId('live-toggle'));
    await waitFor(() => expect(topics.has('logs')).toBe(true));
    const list = screen.getByTestId('log-list');
    fireEvent.keyDown(list, { key: 'ArrowDown' });
    live(entry(3));
    expect(shownIds()).toEqual([2, 1]);
    expect(screen.getByTestId('new-lines')).toBeInTheDocument();
    fireEvent.keyDown(list, { key: 'Escape' });
    await waitFor(() => expect(shownIds()).toEqual([3, 2, 1]));
  });

  it('live rows refresh the summary (throttled), and the count says "matching … as of"', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const server = fakeLogServer([entry(1)]);
    renderPage();
    await waitFor(() => expect(screen.getByTestId('logs-count')).toHaveTextContent('1 line loaded · 1 matching'));
    fireEvent.click(screen.getByTestId('live-toggle'));
    await waitFor(() => expect(topics.has('logs')).toBe(true));
    const before = server.summaryCalls();
    for (let id = 2; id <= 6; id += 1) {
      server.rows.push(entry(id, { level: 'ERROR' }));
      live(entry(id, { level: 'ERROR' }));
    }
    await waitFor(() => expect(server.summaryCalls()).toBe(before + 1)); // at once, not once per line
    await act(() => vi.advanceTimersByTimeAsync(6_000));
    await waitFor(() => expect(server.summaryCalls()).toBe(before + 2)); // one trailing refresh
    await waitFor(() => expect(screen.getByTestId('logs-count')).toHaveTextContent(/6 lines loaded · 6 matching \(as of \d\d:\d\d:\d\d\)/));
    expect(screen.getByTestId('summary-latest-error')).toHaveTextContent('line 6');
  });
});

describe('LogsPage filters', () => {
  it('applying a filter keeps keyboard focus in the field (the bar is not remounted)', async () => {
    fakeLogServer([entry(1)]);
    renderPage();
    await waitFor(() => expect(shownIds()).toEqual([1]));
    const q = screen.getByTestId('filter-q');
    q.focus();
    fireEvent.change(q, { target: { value: 'line' } });
    fireEvent.submit(screen.getByTestId('logs-filter-form'));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('?q=line'));
    expect(document.activeElement).toBe(screen.getByTestId('filter-q'));
    expect(screen.getByTestId('filter-q')).toBe(q);
    expect(q).toHaveValue('line');
  });

  it('a level chip keeps unapplied text and the focus on the chip', async () => {
    fakeLogServer([entry(1)]);
    renderPage();
    await waitFor(() => expect(shownIds()).toEqual([1]));
    fireEvent.change(screen.getByTestId('filter-event'), { target: { value: 'tick' } });
    const chip = screen.getByTestId('level-INFO');
    chip.focus();
    fireEvent.click(chip);
    await waitFor(() => expect(screen.getByTestId('location').textContent).toContain('level=INFO'));
    expect(document.activeElement).toBe(screen.getByTestId('level-INFO'));
    expect(screen.getByTestId('filter-event')).toHaveValue('tick');
  });

  it('"Custom" then a level chip keeps the active range; Custom starts on the window on screen', async () => {
    fakeLogServer([entry(1)]);
    renderPage('/logs?range=1h');
    await waitFor(() => expect(shownIds()).toEqual([1]));
    fireEvent.click(screen.getByRole('radio', { name: 'Custom' }));
    const from = (await screen.findByTestId('filter-start')) as HTMLInputElement;
    expect(from.value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d$/); // pre-filled with now − 1h
    fireEvent.click(screen.getByTestId('level-ERROR'));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('?level=ERROR&range=1h'));
  });

  it('a reversed custom range is flagged on the To field and cannot be applied', async () => {
    const server = fakeLogServer([entry(1)]);
    renderPage();
    await waitFor(() => expect(shownIds()).toEqual([1]));
    fireEvent.click(screen.getByRole('radio', { name: 'Custom' }));
    fireEvent.change(await screen.findByTestId('filter-start'), { target: { value: '2026-02-01T08:00' } });
    fireEvent.change(screen.getByTestId('filter-end'), { target: { value: '2026-02-01T07:00' } });
    expect(screen.getByText('To must not be before From')).toBeInTheDocument();
    expect(screen.getByTestId('filters-apply')).toBeDisabled();
    const calls = server.listCalls();
    fireEvent.submit(screen.getByTestId('logs-filter-form'));
    expect(screen.getByTestId('location')).toHaveTextContent(/^$/);
    expect(server.listCalls()).toBe(calls);
  });

  it('"(none)" logger in the summary is not a filter link; the empty state fits an "All" range', async () => {
    fakeLogServer([], { summary: (rows) => summaryOf(rows, { top_loggers: [{ name: '', count: 5 }, { name: 'deltaplane.http', count: 3 }] }) });
    renderPage();
    const card = await screen.findByTestId('summary-loggers');
    await waitFor(() => expect(within(card).getByText('(none)')).toBeInTheDocument());
    expect(within(card).getByText('(none)').closest('button')).toBeNull();
    expect(within(card).getByText('deltaplane.http').closest('button')).not.toBeNull();
    expect(await screen.findByTestId('logs-empty')).not.toHaveTextContent('Widen the time range');
  });
});

describe('LogsPage errors', () => {
  it('server down: a readable message, automatic retries, and recovery without a click', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const server = fakeLogServer([entry(1)]);
    server.down = true;
    renderPage();
    await act(() => vi.advanceTimersByTimeAsync(4_000)); // react-query's own retries
    await waitFor(() => expect(screen.getByTestId('logs-error')).toHaveTextContent('Can’t reach the server — retrying…'));
    expect(screen.getByTestId('logs-error')).not.toHaveTextContent('Failed to fetch');
    server.down = false;
    await act(() => vi.advanceTimersByTimeAsync(6_000));
    await waitFor(() => expect(shownIds()).toEqual([1]));
  });

  it('a failed summary refresh marks the cards as not updated instead of showing stale numbers as current', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const server = fakeLogServer([entry(1)]);
    renderPage();
    await waitFor(() => expect(screen.getByTestId('summary-total')).toHaveTextContent('1 total'));
    server.down = true;
    await act(() => vi.advanceTimersByTimeAsync(20_000)); // the 15 s refresh and its retries fail
    await waitFor(() => expect(screen.getByTestId('summary-stale')).toHaveTextContent('Summary not updated'));
    expect(screen.getByTestId('logs-summary')).toHaveAttribute('data-stale', 'true');
    expect(screen.getByTestId('summary-ingestion')).not.toHaveTextContent('Ingestion running');
  });

  it('a summary that never loaded says "unavailable", not "…"', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const server = fakeLogServer([entry(1)]);
    server.down = true;
    renderPage();
    await act(() => vi.advanceTimersByTimeAsync(4_000));
    await waitFor(() => expect(screen.getByTestId('summary-total')).toHaveTextContent('unavailable total'));
  });
});
