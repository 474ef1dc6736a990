import { IconHistory } from '@tabler/icons-react';
import { lazy } from 'react';
import { defineTab } from '../../app/tabs';

export const historyTab = defineTab({
  id: 'history',
  label: 'History',
  path: 'history',
  icon: <IconHistory size={18} stroke={1.6} />,
  order: 30,
  component: lazy(() => import('./HistoryPage')),
});
