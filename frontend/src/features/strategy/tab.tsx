import { IconAdjustmentsHorizontal } from '@tabler/icons-react';
import { lazy } from 'react';
import { defineTab } from '../../app/tabs';

export const strategiesTab = defineTab({
  id: 'strategies',
  label: 'Strategies',
  path: 'strategies',
  icon: <IconAdjustmentsHorizontal size={18} stroke={1.6} />,
  order: 20,
  component: lazy(() => import('./StrategiesPage')),
});
