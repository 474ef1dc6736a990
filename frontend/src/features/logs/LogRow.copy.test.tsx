import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/utils';
import { LogList } from './LogList';
import { LogRow } from './LogRow';
import { entry, sizeLogList } from './testkit';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const row = entry(42, { correlation_id: 'corr-abc-123', timestamp: '2026-02-01T12:00:00.123456Z', payload: { a: 1 } });

describe('LogRow details', () => {
  it('an ID is plain selectable text with its own copy button and a separate pivot control', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('navigator', { ...navigator, clipboard: { writeText } });
    const onPivot = vi.fn();
    renderWithProviders(<LogRow row={row} index={0} expanded active={false} onToggle={() => {}} onPivot={onPivot} />);
    const details = screen.getByTestId('log-details');
    const value = within(details).getByTestId('id-value-correlation_id');
    expect(value).toHaveTextContent('corr-abc-123');
    expect(value.closest('button')).toBeNull(); // drag-selecting it cannot pivot
    fireEvent.click(within(details).getByTestId('copy-correlation_id'));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith('corr-abc-123'));
    expect(await within(details).findByLabelText('Copied correlation ID')).toBeInTheDocument();
    expect(onPivot).not.toHaveBeenCalled();
    fireEvent.click(within(details).getByTestId('pivot-correlation_id'));
    expect(onPivot).toHaveBeenCalledWith('correlation_id', 'corr-abc-123');
    fireEvent.click(within(details).getByTestId('copy-payload'));
    await waitFor(() => expect(writeText).toHaveBeenLastCalledWith('{\n  "a": 1\n}'));
  });

  it('copy falls back to execCommand where the Clipboard API is missing', async () => {
    vi.stubGlobal('navigator', { ...navigator, clipboard: undefined });
    const exec = vi.fn(() => true);
    Object.defineProperty(document, 'execCommand', { configurable: true, value: exec });
    renderWithProviders(<LogRow row={row} index={0} expanded active={false} onToggle={() => {}} onPivot={() => {}} />);
    fireEvent.click(screen.getByTestId('copy-correlation_id'));
    await waitFor(() => expect(exec).toHaveBeenCalledWith('copy'));
    expect(await screen.findByLabelText('Copied correlation ID')).toBeInTheDocument();
  });

  it('an empty {} payload is not shown', () => {
    renderWithProviders(<LogRow row={entry(1, { payload: {} })} index={0} expanded active={false} onToggle={() => {}} onPivot={() => {}} />);
    expect(screen.getByTestId('log-details')).toBeInTheDocument();
    expect(screen.queryByTestId('log-payload')).toBeNull();
  });

  it('the list time has milliseconds and says which clock it is', () => {
    renderWithProviders(<LogRow row={row} index={0} expanded={false} active={false} onToggle={() => {}} onPivot={() => {}} />);
    const time = screen.getByTestId('log-row').querySelector('time')!;
    expect(time.textContent).toMatch(/\d\d:\d\d:\d\d\.123$/);
    expect(time.getAttribute('title')).toMatch(/^Local time \(.+\)\. UTC: 2026-02-01T12:00:00\.123Z$/);
  });
});

describe('collapsed row layout (CSS)', () => {
  it('ID chips never shrink into stubs: they wrap onto a clipped line; the message gets the room', async () => {
    // vitest runs with css: false, so the stylesheet is read as text
    // @ts-expect-error -- node:fs has no types in the browser tsconfig; the test runs in node
    const fs = (await import('node:fs')) as { readFileSync: (p: string, enc: string) => string };
    const css = fs.readFileSync('src/features/logs/logs.module.css', 'utf8'); // vitest runs from frontend/
    const rule = (sel: string) => new RegExp(`(^|\\n)${sel.replace('.', '\\.')} \\{([^}]*)\\}`).exec(css)?.[2] ?? '';
    expect(rule('.ids')).toMatch(/flex-wrap: wrap/);
    expect(rule('.ids')).toMatch(/overflow: hidden/);
    expect(rule('.ids')).toMatch(/max-width: 40%/);
    expect(css).toMatch(/\.ids \.idLink \{\s*flex-shrink: 0;/);
    expect(rule('.message')).toMatch(/flex: 1 1 0/);
  });
});

describe('LogList', () => {
  let restore: () => void = () => {};
  beforeAll(() => {
    restore = sizeLogList(600);
  });
  afterAll(() => restore());

  const props = {
    hasNextPage: false,
    isFetchingNextPage: false,
    fetchNextPage: () => {},
    onPivot: () => {},
    onAtTopChange: () => {},
    onJumpToTop: () => {},
  };

  it('fills the height left below it in the window', () => {
    vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(function (this: HTMLElement) {
      const top = this.className.includes('listWrap') ? 300 : 0;
      return { top, bottom: top + 100, left: 0, right: 0, width: 0, height: 100, x: 0, y: top, toJSON: () => ({}) } as DOMRect;
    });
    Object.defineProperty(window, 'innerHeight', { configurable: true, value: 800 });
    const { container } = renderWithProviders(<LogList rows={[entry(1)]} pendingCount={0} {...props} />);
    const wrap = container.querySelector('[class*="listWrap"]') as HTMLElement;
    const px = parseInt(wrap.style.getPropertyValue('--logs-fill'), 10);
    expect(px).toBeGreaterThanOrEqual(800 - 300 - 48);
    expect(px).toBeLessThanOrEqual(800 - 300);
  });

  it('"N new lines" lands at the very top even when the flushed rows render taller than estimated', () => {
    const rows = Array.from({ length: 200 }, (_, i) => entry(200 - i));
    const onJumpToTop = vi.fn();
    let setRows: (r: typeof rows) => void = () => {};
    function Harness() {
      const [shown, set] = useState(rows);
      setRows = set;
      return <LogList rows={shown} pendingCount={shown === rows ? 3 : 0} {...props} onJumpToTop={onJumpToTop} />;
    }
    renderWithProviders(<Harness />);
    const list = screen.getByTestId('log-list');
    list.scrollTop = 2500;
    fireEvent.scroll(list);
    vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockImplementation(() => ({ top: 0, bottom: 100, left: 0, right: 0, width: 390, height: 100, x: 0, y: 0, toJSON: () => ({}) }) as DOMRect);
    fireEvent.click(screen.getByTestId('new-lines'));
    expect(onJumpToTop).toHaveBeenCalled();
    act(() => setRows([entry(203), entry(202), entry(201), ...rows]));
    expect(list.scrollTop).toBe(0);
  });
});
