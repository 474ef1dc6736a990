import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../../test/utils';
import type { LogEntry } from './api';
import { LogRow } from './LogRow';

const row: LogEntry = {
  id: 42,
  timestamp: '2026-02-01T12:00:00.123456Z',
  level: 'WARN',
  logger: 'frontend.browser',
  event: 'client_error',
  message: '<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>',
  source: 'frontend',
  payload: { html: '<script>alert(3)</script>', n: 1 },
  ingested_at: '2026-02-01T12:00:01Z',
  correlation_id: 'corr-abc',
  session_id: 'sess-1',
};

describe('LogRow', () => {
  it('renders HTML in a message as literal text, never as markup', () => {
    const { container } = renderWithProviders(<LogRow row={row} index={0} expanded active={false} onToggle={() => {}} onPivot={() => {}} />);
    expect(screen.getAllByTestId('log-message')[0]).toHaveTextContent('<img src=x onerror=alert(1)><script>alert(2)</script><b>bold</b>');
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(container.querySelector('b')).toBeNull();
    expect(screen.getByTestId('log-payload').textContent).toContain('"html": "<script>alert(3)</script>"');
  });

  it('shows WARN as WARNING; clicking an ID pivots without toggling the row', () => {
    const onToggle = vi.fn();
    const onPivot = vi.fn();
    renderWithProviders(<LogRow row={row} index={3} expanded={false} active={false} onToggle={onToggle} onPivot={onPivot} />);
    expect(screen.getByTestId('log-row')).toHaveAttribute('data-level', 'WARNING');
    fireEvent.click(screen.getByTestId('pivot-correlation_id'));
    expect(onPivot).toHaveBeenCalledWith('correlation_id', 'corr-abc');
    expect(onToggle).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId('log-row'));
    expect(onToggle).toHaveBeenCalledWith(42, 3);
  });
});
