import { Tooltip } from '@mantine/core';
import { ExportCsvButton } from '../../app/ExportCsvButton';
import { fetchLogExport } from './api';
import { toApiQuery, type LogFilters } from './filters';

/** CSV of every line matching the current filters (disabled when nothing matches). */
export function ExportButton({ filters, disabled = false }: { filters: LogFilters; disabled?: boolean }) {
  return (
    <Tooltip label="No lines match: nothing to export" disabled={!disabled}>
      <span style={{ display: 'inline-flex', alignItems: 'center', gap: 8 }} data-testid={disabled ? 'logs-export-disabled' : undefined}>
        <ExportCsvButton
          testId="logs-export"
          progressTestId="logs-export-progress"
          disabled={disabled}
          fetchCsv={(onProgress, signal) => fetchLogExport(toApiQuery(filters), onProgress, signal)}
        />
      </span>
    </Tooltip>
  );
}
