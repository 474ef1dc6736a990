// Aliases over the GENERATED schema for the strategy area.
import type { components } from '../../api/schema';

type S = components['schemas'];
export type StrategyConfig = S['StrategyConfig'];
export type ExecutionConfig = S['ExecutionConfig'];
export type StrategyRead = S['StrategyRead'];
export type StrategySaved = S['StrategySaved'];
export type StrategyVersionRead = S['StrategyVersionRead'];
export type PreviewResult = S['PreviewResult'];
export type PreviewLeg = S['PreviewLeg'];
export type RiskRead = S['RiskRead'];
export type RiskUpdate = S['RiskUpdate'];
export type SessionRow = S['SessionRow'];
export type SessionPage = S['SessionPage'];
export type SessionDetail = S['SessionDetail'];
export type Weekday = StrategyConfig['schedule_days'][number];
