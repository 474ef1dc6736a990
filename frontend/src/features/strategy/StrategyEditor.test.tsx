import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../api';
import { adminUser, jsonResponse, renderWithProviders, tokenBody } from '../../test/utils';
import StrategiesPage from './StrategiesPage';

afterEach(() => {
  cleanup();
  session.end(null, false);
  vi.unstubAllGlobals();
});

function signIn(role: 'admin' | 'viewer') {
  session.applyTokens({ ...tokenBody('t'), user: { ...adminUser, role } });
}

describe('strategy editor', () => {
  it.each([
    ['a non-numeric id', '/abc', 'There is no strategy with ID abc. It may have been deleted.'],
    ['an id the server does not know', '/9999', 'There is no strategy with ID 9999. It may have been deleted.'],
  ])('says "not found" with a way back for %s, instead of loading forever or offering a retry', async (_, route, text) => {
    vi.stubGlobal('fetch', vi.fn(async () => jsonResponse(404, { error: 'not_found', detail: 'strategy 9999 not found', status_code: 404 })));
    signIn('admin');
    renderWithProviders(<StrategiesPage />, { route });
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
    renderWithProviders(<StrategiesPage />, { route: '/new' });
    const user = userEvent.setup();
    await user.type(await screen.findByTestId('field-name'), 'My strangle');
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
  });

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
    renderWithProviders(<StrategiesPage />, { route: '/new' });
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
    renderWithProviders(<StrategiesPage />, { route: '/new' });
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
    renderWithProviders(<StrategiesPage />, { route: '/3' });
    expect(await screen.findByTestId('field-name')).toHaveAttribute('readonly');
    expect(screen.getByTestId('applies-next-entry')).toBeInTheDocument();
    expect(screen.queryByTestId('save-strategy')).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /delete/i })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /clone/i })).not.toBeInTheDocument();
  });
});
