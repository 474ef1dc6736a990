import { IconUsers } from '@tabler/icons-react';
import { lazy } from 'react';
import { defineTab } from '../../app/tabs';

export const usersTab = defineTab({
  id: 'users',
  label: 'Users',
  path: 'users',
  icon: <IconUsers size={18} stroke={1.6} />,
  order: 95,
  roles: ['admin'],
  component: lazy(() => import('./UsersPage')),
});
