import { ExportCsvButton } from '../../app/ExportCsvButton';
import { fetchExport } from './exportCsv';
import type { AnalyticsQuery } from './rangeState';

/** The analytics export for the current range and filters. */
export function ExportButton({ query }: { query: AnalyticsQuery }) {
  return <ExportCsvButton fetchCsv={(onProgress, signal) => fetchExport(query, onProgress, signal)} />;
}
