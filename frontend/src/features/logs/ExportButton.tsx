import { Button, Text } from '@mantine/core';
import { IconDownload } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { notifyError, notifySuccess } from '../../app/notify';
import { fetchLogExport, formatBytes, saveBlob } from './api';
import { toApiQuery, type LogFilters } from './filters';

/** CSV of every line matching the current filters; streamed with a byte count, saved under the server's filename. */
export function ExportButton({ filters }: { filters: LogFilters }) {
  const [bytes, setBytes] = useState<number | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const run = async () => {
    const ctrl = new AbortController();
    abort.current = ctrl;
    setBytes(0);
    try {
      const { blob, filename } = await fetchLogExport(toApiQuery(filters), setBytes, ctrl.signal);
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
        data-testid="logs-export"
      >
        Export CSV
      </Button>
      {busy && (
        <Text size="xs" c="dimmed" role="status" aria-live="polite" ff="monospace" data-testid="logs-export-progress">
          {formatBytes(bytes)} received
        </Text>
      )}
    </>
  );
}
