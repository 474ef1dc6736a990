import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { renderWithProviders } from '../test/utils';
import { ExportCsvButton } from './ExportCsvButton';
import type { CsvFile } from './download';

describe('ExportCsvButton', () => {
  it('is disabled when there is nothing to export', () => {
    const fetchCsv = vi.fn<(p: (b: number) => void, s: AbortSignal) => Promise<CsvFile>>();
    renderWithProviders(<ExportCsvButton fetchCsv={fetchCsv} disabled />);
    expect(screen.getByTestId('export-csv')).toBeDisabled();
    fireEvent.click(screen.getByTestId('export-csv'));
    expect(fetchCsv).not.toHaveBeenCalled();
  });

  it('offers Cancel while a long export streams, which aborts it without an error toast', async () => {
    let seen: AbortSignal | null = null;
    const fetchCsv = (onProgress: (b: number) => void, signal: AbortSignal) =>
      new Promise<CsvFile>((_resolve, reject) => {
        seen = signal;
        onProgress(1024);
        signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    renderWithProviders(<ExportCsvButton fetchCsv={fetchCsv} />);
    expect(screen.queryByTestId('export-csv-cancel')).toBeNull();
    fireEvent.click(screen.getByTestId('export-csv'));
    expect(await screen.findByTestId('export-progress')).toHaveTextContent('received');
    fireEvent.click(screen.getByTestId('export-csv-cancel'));
    expect(seen!.aborted).toBe(true);
    await waitFor(() => expect(screen.queryByTestId('export-csv-cancel')).toBeNull());
    expect(screen.getByTestId('export-progress')).toHaveTextContent('');
    expect(screen.queryByText('Export failed')).toBeNull();
  });
});
