import { settingsTab } from '../features/settings/tab';
import { usersTab } from '../features/users/tab';
import type { TabDefinition } from './tabs';

/** Every registered tab. Add a feature's tab here (see frontend/README.md). */
export const TABS: readonly TabDefinition[] = [settingsTab, usersTab];
