import { cleanup, screen } from '@testing-library/react';
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
});
