import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useEffect, useState, type ReactNode } from 'react';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { session } from '../api';
import { ApiError } from '../api/errors';
import { LoginPage } from '../features/auth/LoginPage';
import { RequireAuth } from '../features/auth/RequireAuth';
import { notifyError } from './notify';
import { Shell } from './Shell';
import { colorSchemeManager, theme } from './theme';

declare module '@tanstack/react-query' {
  interface Register {
    /** `silent`: no toast (e.g. health polling). `inlineErrors`: the form shows the error itself. */
    queryMeta: { silent?: boolean };
    mutationMeta: { inlineErrors?: boolean };
  }
}

/** 401s end in a redirect to the login page (with its own message): no toast for those. */
const isAuthLoss = (err: unknown) => err instanceof ApiError && err.status === 401;

export function createQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (err, query) => {
        if (query.meta?.silent || isAuthLoss(err)) return;
        // Only toast background refetch failures; first loads show an inline error state.
        if (query.state.data !== undefined) notifyError(err, 'Refresh failed');
      },
    }),
    mutationCache: new MutationCache({
      onError: (err, _vars, _ctx, mutation) => {
        if (mutation.meta?.inlineErrors || isAuthLoss(err)) return;
        notifyError(err);
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    path: '/*',
    element: (
      <RequireAuth>
        <Shell />
      </RequireAuth>
    ),
  },
]);

export function Providers({ children, queryClient }: { children: ReactNode; queryClient: QueryClient }) {
  return (
    <MantineProvider theme={theme} colorSchemeManager={colorSchemeManager} defaultColorScheme="auto">
      <Notifications position="bottom-right" limit={4} />
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </MantineProvider>
  );
}

export function App() {
  const [queryClient] = useState(createQueryClient);
  // Signing out (or losing the session) drops every cached response of the previous user.
  useEffect(
    () =>
      session.subscribe(() => {
        if (session.getState().status === 'anonymous') queryClient.clear();
      }),
    [queryClient],
  );
  return (
    <Providers queryClient={queryClient}>
      <RouterProvider router={router} />
    </Providers>
  );
}
