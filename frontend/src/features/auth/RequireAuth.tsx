import { Center, Loader, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useSession } from './useSession';

export function RequireAuth({ children }: { children: ReactNode }) {
  const state = useSession();
  const location = useLocation();
  if (state.status === 'unknown') {
    return (
      <Center h="100dvh">
        <Stack align="center" gap="xs" role="status" aria-live="polite">
          <Loader size="sm" />
          <Text size="sm" c="dimmed">
            Restoring session…
          </Text>
        </Stack>
      </Center>
    );
  }
  if (state.status === 'anonymous') {
    return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  }
  return <>{children}</>;
}
