import type { RefObject } from 'react';
import { ApiError } from '../../api/errors';
import { ExportCsvButton } from '../../app/ExportCsvButton';
import { fetchExport } from './exportCsv';
import type { FiltersHandle } from './Filters';
import { toApiQuery, type AnalyticsFilters } from './rangeState';

/**
 * The analytics export for the current range and filters. A filter field may hold a value that
 * is not applied yet (typing is debounced), so the fields are flushed first and the export uses
 * exactly what the user sees; a field with an invalid value stops the export instead.
 */
export function ExportButton({ filters, fields }: { filters: AnalyticsFilters; fields: RefObject<FiltersHandle | null> }) {
  return (
    <ExportCsvButton
      fetchCsv={(onProgress, signal) => {
        const now = fields.current?.flush() ?? { ok: true, filters };
        if (!now.ok) {
          return Promise.reject(new ApiError({ status: 0, code: 'invalid_filters', detail: `Fix ${now.problem} before exporting.` }));
        }
        return fetchExport(toApiQuery(now.filters), onProgress, signal);
      }}
    />
  );
}
