import { ExportCsvButton } from '../../app/ExportCsvButton';
import { fetchLogExport } from './api';
import { toApiQuery, type LogFilters } from './filters';

/** CSV of every line matching the current filters. */
export function ExportButton({ filters }: { filters: LogFilters }) {
  return (
    <ExportCsvButton
      testId="logs-export"
      progressTestId="logs-export-progress"
      fetchCsv={(onProgress, signal) => fetchLogExport(toApiQuery(filters), onProgress, signal)}
    />
  );
}
