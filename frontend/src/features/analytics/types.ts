// Aliases over the GENERATED schema for the analytics feature.
import type { components } from '../../api/schema';

type S = components['schemas'];
export type AnalyticsSummaryResponse = S['AnalyticsSummaryResponse'];
export type AnalyticsHistoryResponse = S['AnalyticsHistoryResponse'];
export type Summary = S['Summary'];
export type History = S['History'];
export type BreakdownRow = S['BreakdownRow'];
export type OpenSessionsStats = S['OpenSessionsStats'];
export type StrategyRead = S['StrategyRead'];
