import { Button, Text } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { formatBytes, saveBlob, type CsvFile } from './download';
import { notifyError, notifySuccess } from './notify';

/** Streams a CSV export with a live byte count, then downloads it under the server's filename. */
export function ExportCsvButton({
  fetchCsv,
  testId = 'export-csv',
  progressTestId = 'export-progress',
  disabled = false,
}: {
  fetchCsv: (onProgress: (bytes: number) => void, signal: AbortSignal) => Promise<CsvFile>;
  testId?: string;
  progressTestId?: string;
  /** nothing to export (e.g. no rows match): the button is disabled */
  disabled?: boolean;
}) {
  const [bytes, setBytes] = useState<number | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const run = async () => {
    const ctrl = new AbortController();
    abort.current = ctrl;
    setBytes(0);
    try {
      const { blob, filename } = await fetchCsv(setBytes, ctrl.signal);
      saveBlob(blob, filename);
      notifySuccess(`Exported ${filename} (${formatBytes(blob.size)})`);
    } catch (err) {
      if (!ctrl.signal.aborted) notifyError(err, 'Export failed');
    } finally {
      if (abort.current === ctrl) abort.current = null;
      setBytes(null);
    }
  };

  const busy = bytes !== null;
  return (
    <>
      <Button
        size="xs"
        variant="default"
        leftSection={<IconDownload size={16} stroke={1.6} />}
        onClick={() => void run()}
        loading={busy}
        loaderProps={{ type: 'dots' }}
        disabled={disabled}
        data-testid={testId}
      >
        Export CSV
      </Button>
      {busy && (
        // a large export streams for a while: let the user stop it (nothing is saved then)
        <Button size="xs" variant="subtle" color="gray" onClick={() => abort.current?.abort()} data-testid={`${testId}-cancel`}>
          Cancel
        </Button>
      )}
      <Text size="xs" c="dimmed" role="status" aria-live="polite" data-testid={progressTestId} miw={busy ? 90 : 0} ff="monospace">
        {busy ? `${formatBytes(bytes)} received` : ''}
      </Text>
    </>
  );
}
