import { vi } from 'vitest';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter } from 'react-router';
import { createQueryClient, Providers } from '../app/App';

export function renderWithProviders(ui: ReactElement, { route = '/' }: { route?: string } = {}) {
  const queryClient = createQueryClient();
  return render(
    <Providers queryClient={queryClient}>
      <MemoryRouter initialEntries={[route]}>{ui}</MemoryRouter>
    </Providers>,
  );
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

export const adminUser = {
  id: 1,
  username: 'admin',
  role: 'admin' as const,
  is_active: true,
  created_at: '2026-01-01T00:00:00Z',
  last_login_at: null,
};

export function tokenBody(token: string, expiresIn = 900) {
  return { access_token: token, token_type: 'bearer', expires_in: expiresIn, user: adminUser };
}

/**
 * Stub `fetch` with canned JSON bodies by path (a function may build its own Response) and record
 * every requested URL into the returned array; any other path answers 404.
 */
export function stubApi(routes: Record<string, unknown | ((url: URL) => Response)>): URL[] {
  const urls: URL[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const url = new URL(req.url);
      urls.push(url);
      if (!(url.pathname in routes)) return jsonResponse(404, { error: 'not_found', detail: 'nope' });
      const route = routes[url.pathname];
      return typeof route === 'function' ? (route as (url: URL) => Response)(url) : jsonResponse(200, route);
    }),
  );
  return urls;
}
