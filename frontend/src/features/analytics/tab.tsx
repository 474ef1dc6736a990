import { IconChartHistogram } from '@tabler/icons-react';
import { lazy } from 'react';
import { defineTab } from '../../app/tabs';

export const analyticsTab = defineTab({
  id: 'analytics',
  label: 'Analytics',
  path: 'analytics',
  icon: <IconChartHistogram size={18} stroke={1.6} />,
  order: 40,
  component: lazy(() => import('./AnalyticsPage')),
});
