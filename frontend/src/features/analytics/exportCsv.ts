/**
 * Analytics CSV export: GET /api/analytics/export streamed through the authenticated client
 * (bearer token, refresh-and-retry on 401); the shared download helpers do the rest.
 */
import { api } from '../../api';
import { asApiError } from '../../api/errors';
import { csvFromStreamResult, type CsvFile } from '../../app/download';
import type { AnalyticsQuery } from './rangeState';

export const FALLBACK_FILENAME = 'analytics-export.csv';

/** Fetch the export (with progress) and return its blob and filename; throws ApiError. */
export async function fetchExport(query: AnalyticsQuery, onProgress: (bytes: number) => void, signal?: AbortSignal): Promise<CsvFile> {
  let result;
  try {
    result = await api.GET('/api/analytics/export', { params: { query: { ...query, format: 'csv' } }, parseAs: 'stream', signal });
  } catch (err) {
    throw asApiError(err);
  }
  return csvFromStreamResult(result, FALLBACK_FILENAME, onProgress, signal);
}
