import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../api';
import { jsonResponse, renderWithProviders, tokenBody } from '../../test/utils';
import { LoginPage } from './LoginPage';

afterEach(() => {
  vi.unstubAllGlobals();
  session.end(null, false);
});

async function submit(username: string, password: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText(/username/i), username);
  await user.type(screen.getByLabelText(/^password/i), `${password}{Enter}`); // Enter submits
}

describe('LoginPage', () => {
  it('shows the server detail and correlation id on 401', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => jsonResponse(401, { error: 'unauthorized', detail: 'invalid username or password', status_code: 401, correlation_id: 'abc123' })),
    );
    renderWithProviders(<LoginPage />, { route: '/login' });
    await submit('admin', 'wrong');
    const alert = await screen.findByTestId('login-error');
    expect(alert).toHaveTextContent('invalid username or password');
    expect(alert).toHaveTextContent('ref abc123');
    expect(screen.getByLabelText(/^password/i)).toHaveValue('');
  });

  it('shows the retry countdown on 429 and locks the button', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        jsonResponse(429, { error: 'too_many_requests', detail: 'too many failed sign-in attempts; try again in 42 s', status_code: 429, correlation_id: 'x' }, { 'Retry-After': '42' }),
      ),
    );
    renderWithProviders(<LoginPage />, { route: '/login' });
    await submit('admin', 'wrong');
    expect(await screen.findByTestId('login-retry')).toHaveTextContent('You can try again in 42 s.');
    expect(screen.getByRole('button', { name: /locked \(42 s\)/i })).toBeDisabled();
  });

  it('renders user-controlled text as text, never HTML', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(422, { error: 'validation_error', detail: '<img src=x onerror=alert(1)>', status_code: 422 })));
    renderWithProviders(<LoginPage />, { route: '/login' });
    await submit('admin', 'pw');
    const alert = await screen.findByTestId('login-error');
    expect(alert).toHaveTextContent('<img src=x onerror=alert(1)>');
    expect(alert.querySelector('img')).toBeNull();
  });

  it('shows field messages next to the named field', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () =>
        jsonResponse(422, { error: 'validation_error', detail: 'username: too long', status_code: 422, fields: [{ field: 'username', message: 'too long' }] }),
      ),
    );
    renderWithProviders(<LoginPage />, { route: '/login' });
    await submit('admin', 'pw');
    expect(await screen.findByText('too long')).toBeInTheDocument();
  });

  it('a successful sign-in stores the token in memory only', async () => {
    const fetch = vi.fn(async (_req: Request) => jsonResponse(200, tokenBody('tok-1')));
    vi.stubGlobal('fetch', fetch);
    renderWithProviders(<LoginPage />, { route: '/login' });
    await submit('admin', 'admin-pass-123');
    await waitFor(() => expect(session.getState().status).toBe('authenticated'));
    expect(session.accessToken).toBe('tok-1');
    expect(JSON.stringify({ ...localStorage })).not.toContain('tok-1');
    const req = fetch.mock.calls[0]?.[0] as unknown as Request;
    expect(await req.clone().json()).toEqual({ username: 'admin', password: 'admin-pass-123' });
  });

  it('shows why the previous session ended', async () => {
    session.end('Your session has expired. Please sign in again.', false);
    renderWithProviders(<LoginPage />, { route: '/login' });
    expect(screen.getByTestId('login-reason')).toHaveTextContent('Your session has expired');
  });
});
