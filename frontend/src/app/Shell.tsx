import { AppShell, Burger, Center, Group, Loader, NavLink, ScrollArea, Text } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { Suspense, useMemo } from 'react';
import { NavLink as RouterNavLink, Navigate, useLocation, useRoutes, type RouteObject } from 'react-router';
import { useCurrentUser } from '../features/auth/useSession';
import { BrandMark } from './BrandMark';
import { HealthIndicator } from './HealthIndicator';
import { NotFound } from './NotFound';
import { TABS } from './registry';
import { tabsFor } from './tabs';
import { ThemeToggle } from './ThemeToggle';
import { ConnectionIndicator } from '../realtime/ConnectionIndicator';
import { RealtimeAlerts } from '../realtime/RealtimeAlerts';
import { UserMenu } from './UserMenu';

export function Shell() {
  const user = useCurrentUser();
  const [opened, { toggle, close }] = useDisclosure(false);
  const phone = useMediaQuery('(max-width: 48em)') ?? false;
  const location = useLocation();
  const tabs = useMemo(() => tabsFor(user.role, TABS), [user.role]);
  const first = tabs[0];

  const routes: RouteObject[] = useMemo(
    () => [
      ...tabs.map((t) => ({ path: `${t.path}/*`, element: <t.component /> })),
      // The root and tabs this role may not open (e.g. /users for a viewer) land on the first tab.
      ...['', ...TABS.filter((t) => !tabs.includes(t)).map((t) => `${t.path}/*`)].map((path) => ({
        path,
        element: first ? <Navigate to={`/${first.path}`} replace /> : <Text>No sections available.</Text>,
      })),
      // A mistyped or stale link says so instead of silently showing another page.
      {
        path: '*',
        element: first ? (
          <NotFound what={`There is no page at ${location.pathname}.`} back={`/${first.path}`} backLabel={`Go to ${first.label}`} />
        ) : (
          <Text>No sections available.</Text>
        ),
      },
    ],
    [tabs, first, location.pathname],
  );
  const page = useRoutes(routes);

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 210, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding={{ base: 'sm', sm: 'lg' }}
    >
      <AppShell.Header>
        <Group h="100%" px={{ base: 'sm', sm: 'md' }} justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} data-testid="nav-burger" />
            <BrandMark size={26} />
            <Text fw={700} size="lg" data-testid="product-name" style={{ letterSpacing: '-0.01em' }}>
              Deltaplane
            </Text>
          </Group>
          <Group gap={phone ? 6 : 'sm'} wrap="nowrap">
            <HealthIndicator compact={phone} />
            <ConnectionIndicator dot={phone} />
            <ThemeToggle />
            <UserMenu compact={phone} />
          </Group>
        </Group>
      </AppShell.Header>
      {/* App-wide realtime alert toasts (entry, exit, stop moves, errors), on every page. */}
      <RealtimeAlerts />

      <AppShell.Navbar p="xs" aria-label="Main navigation">
        <AppShell.Section grow component={ScrollArea}>
          <nav aria-label="Sections">
            {tabs.map((t) => (
              <NavLink
                key={t.id}
                component={RouterNavLink}
                to={`/${t.path}`}
                label={t.label}
                leftSection={t.icon}
                active={location.pathname === `/${t.path}` || location.pathname.startsWith(`/${t.path}/`)}
                onClick={close}
                data-testid={`nav-${t.id}`}
                style={{ borderRadius: 6 }}
              />
            ))}
          </nav>
        </AppShell.Section>
      </AppShell.Navbar>

      <AppShell.Main>
        <Suspense
          fallback={
            <Center py="xl">
              <Loader size="sm" />
            </Center>
          }
        >
          <div id="main">{page}</div>
        </Suspense>
      </AppShell.Main>
    </AppShell>
  );
}
