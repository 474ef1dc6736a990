import { api, unwrap } from '../../api';
import type { PreviewResult, StrategyConfig, StrategyRead, StrategySaved, StrategyVersionRead } from './types';

export const STRATEGIES = ['strategies'] as const;
export const strategyKey = (id: number) => ['strategies', id] as const;
export const versionsKey = (id: number) => ['strategies', id, 'versions'] as const;

export const listStrategies = (): Promise<StrategyRead[]> => unwrap(api.GET('/api/strategies'));
export const getStrategy = (id: number): Promise<StrategyRead> =>
  unwrap(api.GET('/api/strategies/{strategy_id}', { params: { path: { strategy_id: id } } }));
export const listVersions = (id: number): Promise<StrategyVersionRead[]> =>
  unwrap(api.GET('/api/strategies/{strategy_id}/versions', { params: { path: { strategy_id: id } } }));
export const createStrategy = (body: StrategyConfig): Promise<StrategyRead> => unwrap(api.POST('/api/strategies', { body }));
export const updateStrategy = (id: number, body: StrategyConfig): Promise<StrategySaved> =>
  unwrap(api.PUT('/api/strategies/{strategy_id}', { params: { path: { strategy_id: id } }, body }));
export const cloneStrategy = (id: number): Promise<StrategyRead> =>
  unwrap(api.POST('/api/strategies/{strategy_id}/clone', { params: { path: { strategy_id: id } } }));
export const deleteStrategy = (id: number): Promise<unknown> =>
  unwrap(api.DELETE('/api/strategies/{strategy_id}', { params: { path: { strategy_id: id } } }));
export const previewConfig = (body: StrategyConfig): Promise<PreviewResult> => unwrap(api.POST('/api/strategies/preview', { body }));
