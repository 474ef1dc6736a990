import { analyticsTab } from '../features/analytics/tab';
import { historyTab } from '../features/history/tab';
import { liveTab } from '../features/live/tab';
import { logsTab } from '../features/logs/tab';
import { settingsTab } from '../features/settings/tab';
import { strategiesTab } from '../features/strategy/tab';
import { usersTab } from '../features/users/tab';
import type { TabDefinition } from './tabs';

/** Every registered tab. Add a feature's tab here (see frontend/README.md). */
export const TABS: readonly TabDefinition[] = [liveTab, strategiesTab, historyTab, analyticsTab, logsTab, settingsTab, usersTab];
