import { IconSettings } from '@tabler/icons-react';
import { lazy } from 'react';
import { defineTab } from '../../app/tabs';

export const settingsTab = defineTab({
  id: 'settings',
  label: 'Settings',
  path: 'settings',
  icon: <IconSettings size={18} stroke={1.6} />,
  order: 90,
  component: lazy(() => import('./SettingsPage')),
});
