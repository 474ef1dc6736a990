import { cleanup, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../api';
import { adminUser, jsonResponse, renderWithProviders, tokenBody } from '../test/utils';
import { Shell } from './Shell';

function signInAs(role: 'admin' | 'viewer') {
  session.applyTokens({ ...tokenBody('t'), user: { ...adminUser, role, username: role === 'admin' ? 'root' : 'vera' } });
}

afterEach(() => {
  cleanup(); // unmount before the session ends (in the app, <RequireAuth> does this)
  session.end(null, false);
  vi.unstubAllGlobals();
});

describe('Shell navigation', () => {
  it.each([
    ['admin', ['nav-live', 'nav-strategies', 'nav-history', 'nav-analytics', 'nav-logs', 'nav-settings', 'nav-users']],
    ['viewer', ['nav-live', 'nav-strategies', 'nav-history', 'nav-analytics', 'nav-logs', 'nav-settings']],
  ] as const)('%s sees only the tabs registered for the role', async (role, expected) => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(200, role === 'admin' ? [] : { status: 'ok', version: '0.1.0' })));
    signInAs(role);
    renderWithProviders(<Shell />, { route: '/settings' });
    expect(await screen.findByTestId('product-name')).toHaveTextContent('Deltaplane');
    const nav = screen.getAllByTestId(/^nav-(?!burger)/).map((el) => el.getAttribute('data-testid'));
    expect(nav).toEqual(expected);
    expect(screen.getByTestId('role-badge')).toHaveTextContent(role);
  });

  it('a mistyped path says it does not exist; a tab the role may not open lands on the first tab', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(200, [])));
    signInAs('viewer');
    const first = renderWithProviders(<Shell />, { route: '/no-such-page' });
    expect(await screen.findByTestId('not-found')).toHaveTextContent('There is no page at /no-such-page.');
    expect(screen.getByTestId('not-found-back')).toHaveAttribute('href', '/live');
    first.unmount();
    renderWithProviders(<Shell />, { route: '/users' });
    await waitFor(() => expect(screen.getByTestId('nav-live')).toHaveAttribute('aria-current', 'page'));
    expect(screen.queryByTestId('not-found')).not.toBeInTheDocument();
  });
});
