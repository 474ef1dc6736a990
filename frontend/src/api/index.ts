import { createApi } from './client';

/** The app-wide API client and session (one per page). */
export const { api, raw, session } = createApi();
export { unwrap, ApiError, asApiError, toApiError } from './errors';
export type * from './types';
