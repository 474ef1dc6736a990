import { IconActivity } from '@tabler/icons-react';
import { lazy } from 'react';
import { defineTab } from '../../app/tabs';

export const liveTab = defineTab({
  id: 'live',
  label: 'Live Control',
  path: 'live',
  icon: <IconActivity size={18} stroke={1.6} />,
  order: 10,
  component: lazy(() => import('./LivePage')),
});
