import { IconFileText } from '@tabler/icons-react';
import { lazy } from 'react';
import { defineTab } from '../../app/tabs';

export const logsTab = defineTab({
  id: 'logs',
  label: 'Logs',
  path: 'logs',
  icon: <IconFileText size={18} stroke={1.6} />,
  order: 50,
  component: lazy(() => import('./LogsPage')),
});
