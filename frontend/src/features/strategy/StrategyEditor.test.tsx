import { notifications } from '@mantine/notifications';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, Link, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../api';
import { createQueryClient, Providers } from '../../app/App';
import { adminUser, jsonResponse, tokenBody } from '../../test/utils';
import StrategiesPage from './StrategiesPage';

afterEach(() => {
  cleanup();
  notifications.clean();
  session.end(null, false);
  vi.unstubAllGlobals();
});

function signIn(role: 'admin' | 'viewer') {
  session.applyTokens({ ...tokenBody('t'), user: { ...adminUser, role } });
}

/**
 * The editor under a data router, like the app's createBrowserRouter (useBlocker needs one), with a
 * sidebar link to History to leave by.
 */
function renderEditor(route: string) {
  const router = createMemoryRouter(
    [
      {
        path: '/strategies/*',
        element: (
          <>
            <Link to="/history">History</Link>
            <StrategiesPage />
          </>
        ),
      },
      { path: '/history', element: <p data-testid="history-page">History page</p> },
    ],
    { initialEntries: [route] },
  );
  render(
    <Providers queryClient={createQueryClient()}>
      <RouterProvider router={router} />
    </Providers>,
  );
  return router;
}

describe('strategy editor', () => {
  it.each([
    ['a non-numeric id', '/strategies/abc', 'There is no strategy with ID abc. It may have been deleted.'],
    ['an id the server does not know', '/strategies/9999', 'There is no strategy with ID 9999. It may have been deleted.'],
  ])('says "not found" with a way back for %s, instead of loading forever or offering a retry', async (_, route, text) => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(404, { error: 'not_found', detail: 'strategy 9999 not found', status_code: 404 })));
    signIn('admin');
    renderEditor(route);
    expect(await screen.findByTestId('not-found')).toHaveTextContent(text);
    expect(screen.getByTestId('not-found-back')).toHaveAttribute('href', '/strategies');
    expect(screen.queryByRole('button', { name: 'Retry' })).not.toBeInTheDocument();
  });

  it('shows the server 422 field messages next to their inputs (nested and indexed paths)', async () => {
    const calls: { url: string; body: unknown }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const url = new URL(req.url).pathname;
        calls.push({ url, body: req.method === 'POST' ? await req.clone().json() : null });
        if (url === '/api/exchange/status') return jsonResponse(200, { paper: true, live_configured: false, live_trading_enabled: false, delta_env: 'testnet', credentials_present: false, base_url: '' });
        if (url === '/api/strategies') {
          return jsonResponse(422, {
            error: 'unprocessable',
            detail: 'x',
            correlation_id: 'c-1',
            fields: [
              { field: 'execution.limit_attempts', message: 'must be between 1 and 20' },
              { field: 'trailing_rules[1].lock_pct', message: 'must be below its trigger_pct (30)' },
            ],
          });
        }
        return jsonResponse(404, { detail: 'nope' });
      }),
    );
    signIn('admin');
    renderEditor('/strategies/new');
    const user = userEvent.setup();
    fireEvent.change(await screen.findByTestId('field-name'), { target: { value: 'My strangle' } }); // typing key by key took seconds on a busy CI
    await user.click(screen.getByTestId('save-strategy'));
    expect(await screen.findByText('must be between 1 and 20')).toBeInTheDocument();
    expect(screen.getByTestId('field-execution.limit_attempts')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText('Rule 2 lock %')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText('must be below its trigger_pct (30)')).toBeInTheDocument();
    const sent = calls.find((c) => c.url === '/api/strategies')?.body as Record<string, unknown>;
    expect(sent).toMatchObject({ name: 'My strangle', quantity: 1, execution: { limit_attempts: 3 } });
    // editing the field clears its message
    await user.clear(screen.getByTestId('field-execution.limit_attempts'));
    await user.type(screen.getByTestId('field-execution.limit_attempts'), '4');
    await waitFor(() => expect(screen.queryByText('must be between 1 and 20')).not.toBeInTheDocument());
  }, 15_000);

  it('warns under Quantity when it is above the engine risk limit, without blocking the save', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const url = new URL(req.url).pathname;
        if (url === '/api/engine/risk') return jsonResponse(200, { max_running_strategies: 5, max_contracts_per_leg: 100, max_open_legs: 10, daily_loss_limit_usd: null, kill_switch_at: null, breaker_tripped_at: null });
        return jsonResponse(404, { detail: 'nope' });
      }),
    );
    signIn('admin');
    renderEditor('/strategies/new');
    const user = userEvent.setup();
    const qty = await screen.findByTestId('field-quantity');
    await user.clear(qty);
    await user.type(qty, '500');
    expect(await screen.findByTestId('quantity-over-limit')).toHaveTextContent("Above the engine's risk limit of 100 contracts per leg");
    await user.clear(qty);
    await user.type(qty, '100');
    await waitFor(() => expect(screen.queryByTestId('quantity-over-limit')).not.toBeInTheDocument());
    expect(screen.getByTestId('save-strategy')).toBeEnabled();
  });

  it('the phone Save bar submits the same form', async () => {
    const posted: unknown[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const url = new URL(req.url).pathname;
        if (url === '/api/strategies' && req.method === 'POST') {
          posted.push(await req.clone().json());
          return jsonResponse(422, { error: 'validation_error', detail: 'x', fields: [{ field: 'name', message: 'taken' }] });
        }
        return jsonResponse(404, { detail: 'nope' });
      }),
    );
    signIn('admin');
    renderEditor('/strategies/new');
    const user = userEvent.setup();
    await user.type(await screen.findByTestId('field-name'), 'Phone strangle');
    await user.click(screen.getByTestId('save-strategy-phone'));
    expect(await screen.findByText('taken')).toBeInTheDocument();
    expect(posted).toMatchObject([{ name: 'Phone strangle' }]);
  });

  it('viewers get a read-only form without buttons', async () => {
    const config = { name: 'Ro', underlying: 'BTC', mode: 'paper', trailing_rules: [], schedule_days: ['mon'] };
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const url = new URL(req.url).pathname;
        if (url === '/api/strategies/3')
          return jsonResponse(200, { id: 3, name: 'Ro', version: 2, state: 'open', detail: '', mode: 'paper', underlying: 'BTC', config, run_version: 1, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' });
        if (url === '/api/strategies/3/versions') return jsonResponse(200, []);
        return jsonResponse(200, {});
      }),
    );
    signIn('viewer');
    renderEditor('/strategies/3');
    expect(await screen.findByTestId('field-name')).toHaveAttribute('readonly');
    expect(screen.getByTestId('applies-next-entry')).toBeInTheDocument();
    expect(screen.queryByTestId('save-strategy')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /delete/i })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /clone/i })).not.toBeInTheDocument();
  });
});

const config6 = { name: 'Weekly', underlying: 'BTC', mode: 'paper', quantity: 2, trailing_rules: [], schedule_days: ['mon'] };
function strategyBody(id: number, name: string, version = 1) {
  return { id, name, version, state: 'idle', detail: '', mode: 'paper', underlying: 'BTC', config: { ...config6, name }, run_version: 1, created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };
}

/** Strategy 6 "Weekly" (and whatever `extra` answers by "METHOD /path"); every request is recorded. */
function serveStrategies(extra: Record<string, (req: Request) => Response | Promise<Response>> = {}) {
  const requests: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const path = new URL(req.url).pathname;
      const key = `${req.method} ${path}`;
      requests.push(key);
      const handler = extra[key];
      if (handler) return handler(req);
      if (path === '/api/strategies/6') return jsonResponse(200, strategyBody(6, 'Weekly'));
      if (/^\/api\/strategies\/\d+\/versions$/.test(path)) return jsonResponse(200, []);
      if (path === '/api/exchange/status') return jsonResponse(200, { paper: true, live_configured: false, live_trading_enabled: false, delta_env: 'testnet', credentials_present: false, base_url: '' });
      if (path === '/api/strategies') return jsonResponse(200, []);
      return jsonResponse(404, { detail: 'nope' });
    }),
  );
  return requests;
}

async function editQuantity(user: ReturnType<typeof userEvent.setup>, value: string) {
  const qty = await screen.findByTestId('field-quantity');
  await user.clear(qty);
  await user.type(qty, value);
  expect(await screen.findByText('Unsaved changes')).toBeInTheDocument();
}

const unloadPrevented = () => {
  const e = new Event('beforeunload', { cancelable: true });
  window.dispatchEvent(e);
  return e.defaultPrevented;
};

describe('strategy editor: unsaved changes', () => {
  it('asks before leaving with unsaved edits: Stay keeps them, Discard leaves', async () => {
    serveStrategies();
    signIn('admin');
    const router = renderEditor('/strategies/6');
    const user = userEvent.setup();
    await editQuantity(user, '5');

    await user.click(screen.getByRole('link', { name: 'History' }));
    expect(await screen.findByText('Discard unsaved changes?')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/strategies/6');
    await user.click(screen.getByTestId('unsaved-stay'));
    await waitFor(() => expect(screen.queryByText('Discard unsaved changes?')).not.toBeInTheDocument());
    expect(router.state.location.pathname).toBe('/strategies/6');
    expect(screen.getByTestId('field-quantity')).toHaveValue('5'); // the edit is still there

    await user.click(screen.getByRole('link', { name: 'History' }));
    await user.click(await screen.findByTestId('unsaved-discard'));
    expect(await screen.findByTestId('history-page')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/history');
  });

  it('arms beforeunload only while there are unsaved edits', async () => {
    serveStrategies();
    signIn('admin');
    renderEditor('/strategies/6');
    const user = userEvent.setup();
    await screen.findByTestId('field-quantity');
    expect(unloadPrevented()).toBe(false);
    await editQuantity(user, '5');
    expect(unloadPrevented()).toBe(true);
    cleanup(); // leaving the editor disarms it
    expect(unloadPrevented()).toBe(false);
  });

  it('saving does not prompt: neither leaving after Save nor landing on a newly created strategy', async () => {
    const saved = { ...strategyBody(6, 'Weekly', 2), config: { ...config6, quantity: 5 } };
    serveStrategies({
      'PUT /api/strategies/6': () => jsonResponse(200, { strategy: saved, applies_from: 'now' }),
      'POST /api/strategies': () => jsonResponse(201, strategyBody(8, 'Fresh')),
      'GET /api/strategies/8': () => jsonResponse(200, strategyBody(8, 'Fresh')),
    });
    signIn('admin');
    const router = renderEditor('/strategies/6');
    const user = userEvent.setup();
    await editQuantity(user, '5');
    await user.click(screen.getByTestId('save-strategy'));
    expect(await screen.findByText('Saved v2')).toBeInTheDocument();
    await waitFor(() => expect(unloadPrevented()).toBe(false));
    await user.click(screen.getByRole('link', { name: 'History' }));
    expect(await screen.findByTestId('history-page')).toBeInTheDocument();
    expect(screen.queryByText('Discard unsaved changes?')).not.toBeInTheDocument();

    // a new strategy is "unsaved" until created; creating it navigates to its page without asking
    await router.navigate('/strategies/new');
    await user.type(await screen.findByTestId('field-name'), 'Fresh');
    await user.click(screen.getByTestId('save-strategy'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/strategies/8'));
    expect(await screen.findByTestId('field-name')).toHaveValue('Fresh');
    expect(screen.queryByText('Discard unsaved changes?')).not.toBeInTheDocument();
  });

  it('deleting with unsaved edits goes back to the list without asking', async () => {
    serveStrategies({ 'DELETE /api/strategies/6': () => new Response(null, { status: 204 }) });
    signIn('admin');
    const router = renderEditor('/strategies/6');
    const user = userEvent.setup();
    await editQuantity(user, '5');
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    await user.click(await screen.findByTestId('confirm-action'));
    await waitFor(() => expect(router.state.location.pathname).toBe('/strategies'));
    expect(screen.queryByText('Discard unsaved changes?')).not.toBeInTheDocument();
  });

  it('never asks a read-only viewer', async () => {
    serveStrategies();
    signIn('viewer');
    const router = renderEditor('/strategies/6');
    const user = userEvent.setup();
    expect(await screen.findByTestId('field-quantity')).toHaveAttribute('readonly');
    expect(unloadPrevented()).toBe(false);
    await user.click(screen.getByRole('link', { name: 'History' }));
    expect(await screen.findByTestId('history-page')).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/history');
  });
});

/** A fast double-click: the second click lands before anything re-renders (what isPending relied on). */
function doubleClick(el: HTMLElement) {
  fireEvent.click(el);
  fireEvent.click(el);
}

describe('strategy editor: double-clicks', () => {
  it('Clone makes one copy and shows its loading state', async () => {
    let release: () => void = () => {};
    const requests = serveStrategies({
      'POST /api/strategies/6/clone': async () => {
        await new Promise<void>((resolve) => (release = resolve));
        return jsonResponse(201, strategyBody(7, 'Weekly (copy)'));
      },
      'GET /api/strategies/7': () => jsonResponse(200, strategyBody(7, 'Weekly (copy)')),
    });
    signIn('admin');
    const router = renderEditor('/strategies/6');
    const clone = await screen.findByTestId('clone-strategy');
    doubleClick(clone);
    await waitFor(() => expect(requests.filter((r) => r === 'POST /api/strategies/6/clone')).toHaveLength(1));
    expect(clone).toHaveAttribute('data-loading', 'true');
    release();
    expect(await screen.findByText('Cloned as "Weekly (copy)"')).toBeInTheDocument();
    await waitFor(() => expect(router.state.location.pathname).toBe('/strategies/7'));
    expect(requests.filter((r) => r === 'POST /api/strategies/6/clone')).toHaveLength(1);
  });

  it('Create strategy creates one strategy', async () => {
    let release: () => void = () => {};
    const requests = serveStrategies({
      'POST /api/strategies': async () => {
        await new Promise<void>((resolve) => (release = resolve));
        return jsonResponse(201, strategyBody(8, 'Fresh'));
      },
      'GET /api/strategies/8': () => jsonResponse(200, strategyBody(8, 'Fresh')),
    });
    signIn('admin');
    const router = renderEditor('/strategies/new');
    const user = userEvent.setup();
    await user.type(await screen.findByTestId('field-name'), 'Fresh');
    doubleClick(screen.getByTestId('save-strategy'));
    await waitFor(() => expect(requests.filter((r) => r === 'POST /api/strategies')).toHaveLength(1));
    release();
    await waitFor(() => expect(router.state.location.pathname).toBe('/strategies/8'));
    expect(requests.filter((r) => r === 'POST /api/strategies')).toHaveLength(1);
  });
});
