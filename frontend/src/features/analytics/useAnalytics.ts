import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api';
import { analyticsKeys, AUTO_REFRESH_MS, type AnalyticsQuery } from './rangeState';

/**
 * Summary + history of the selected range. The key is built from the filters as chosen (a preset
 * stays a preset): every 30 s refetch re-sends `preset=…` and the server resolves "now" again.
 */
export function useAnalytics(query: AnalyticsQuery, autoRefresh: boolean) {
  const interval = autoRefresh ? AUTO_REFRESH_MS : false;
  const summary = useQuery({
    queryKey: analyticsKeys.summary(query),
    queryFn: ({ signal }) => unwrap(api.GET('/api/analytics/summary', { params: { query }, signal })),
    refetchInterval: interval,
    placeholderData: keepPreviousData,
  });
  const history = useQuery({
    queryKey: analyticsKeys.history(query),
    queryFn: ({ signal }) => unwrap(api.GET('/api/analytics/history', { params: { query }, signal })),
    refetchInterval: interval,
    placeholderData: keepPreviousData,
  });
  return { summary, history };
}

export function useStrategies() {
  return useQuery({
    queryKey: ['analytics', 'strategies'],
    queryFn: ({ signal }) => unwrap(api.GET('/api/strategies', { signal })),
    staleTime: 60_000,
    meta: { silent: true },
  });
}
