import { Tooltip } from '@mantine/core';
import { ExportCsvButton } from '../../app/ExportCsvButton';
import { fetchLogExport } from './api';
import { toApiQuery, type LogFilters } from './filters';

/** CSV of every line matching the current filters (disabled when nothing matches). */
export function ExportButton({ filters, disabled = false }: { filters: LogFilters; disabled?: boolean }) {
  const button = (
    <ExportCsvButton
      testId="logs-export"
      progressTestId="logs-export-progress"
      fetchCsv={(onProgress, signal) => fetchLogExport(toApiQuery(filters), onProgress, signal)}
    />
  );
  if (!disabled) return button;
  // ExportCsvButton has no `disabled` prop: a borderless fieldset disables the button inside natively
  return (
    <Tooltip label="No lines match: nothing to export">
      <fieldset disabled style={{ border: 0, padding: 0, margin: 0, minWidth: 0, display: 'inline-flex' }} data-testid="logs-export-disabled">
        {button}
      </fieldset>
    </Tooltip>
  );
}
