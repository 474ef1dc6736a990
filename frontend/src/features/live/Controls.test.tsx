import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { notifications } from '@mantine/notifications';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../api';
import { adminUser, jsonResponse, renderWithProviders, tokenBody } from '../../test/utils';
import type { RiskRead } from '../strategy/types';
import { Controls } from './Controls';
import { normalizeRuntime } from './runtime';

afterEach(() => {
  cleanup();
  notifications.clean(); // toasts live in a module store: start every test without leftovers (limit 4)
  session.end(null, false);
  vi.unstubAllGlobals();
});

function risk(over: Partial<RiskRead> = {}): RiskRead {
  return {
    kill_switch_at: null,
    breaker_tripped_at: null,
    breaker_reason: null,
    daily_loss_limit_usd: null,
    day_pnl_usd: '0',
    max_contracts_per_leg: 10,
    max_open_legs: 10,
    max_running_strategies: 5,
    ...over,
  };
}

/** Serve GET /api/engine/risk; record every action posted. One Controls per state, each in `controls-<state>`. */
function serve(r: RiskRead, ...states: string[]) {
  return serveWith(r, {}, ...states);
}

function serveWith(r: RiskRead, runtime: Record<string, unknown>, ...states: string[]) {
  const actions: unknown[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const path = new URL(req.url).pathname;
      if (path === '/api/engine/risk') return jsonResponse(200, r);
      if (path === '/api/strategies/7/actions') {
        actions.push(await req.json());
        return jsonResponse(200, { strategy_id: 7, action: 'start', state: 'waiting' });
      }
      return jsonResponse(404, { detail: 'nope' });
    }),
  );
  session.applyTokens({ ...tokenBody('t'), user: adminUser });
  renderWithProviders(
    <>
      {states.map((state) => (
        <div key={state} data-testid={`controls-${state}`}>
          <Controls runtime={normalizeRuntime({ strategy_id: 7, name: 'weekly', state, mode: 'paper', ...runtime })} />
        </div>
      ))}
    </>,
  );
  return actions;
}

const riskLoaded = () => waitFor(() => expect(vi.mocked(fetch).mock.calls.some(([req]) => new URL((req as Request).url).pathname === '/api/engine/risk')).toBe(true));

describe('Live Control actions and the kill switch', () => {
  it('disables Start while the kill switch is engaged and says why', async () => {
    const actions = serve(risk({ kill_switch_at: '2026-03-02T03:00:00Z' }), 'idle');
    const reason = await screen.findByTestId('start-blocked');
    expect(reason).toHaveTextContent('Kill switch engaged — re-arm it first');
    const start = screen.getByTestId('action-start');
    expect(start).toBeDisabled();
    expect(start).toHaveAccessibleDescription('Kill switch engaged — re-arm it first');
    await userEvent.click(start, { pointerEventsCheck: 0 });
    expect(actions).toEqual([]); // no request, so no 409 toast
  });

  it('disables Start after the circuit breaker tripped too', async () => {
    serve(risk({ breaker_tripped_at: '2026-03-02T03:00:00Z', breaker_reason: 'realised+unrealised -120 USD <= -100' }), 'closed');
    expect(await screen.findByTestId('start-blocked')).toHaveTextContent('Circuit breaker tripped — re-arm it first');
    expect(screen.getByTestId('action-start')).toBeDisabled();
  });

  it('leaves Resume alone: the backend refuses only starts while the kill switch is engaged', async () => {
    serve(risk({ kill_switch_at: '2026-03-02T03:00:00Z' }), 'idle', 'paused');
    await within(screen.getByTestId('controls-idle')).findByTestId('start-blocked'); // the risk state has arrived
    const paused = within(screen.getByTestId('controls-paused'));
    expect(paused.getByTestId('action-resume')).toBeEnabled();
    expect(paused.getByTestId('action-start')).toBeDisabled(); // not allowed from paused anyway
    expect(paused.queryByTestId('start-blocked')).not.toBeInTheDocument(); // nothing to explain
  });

  it('disables Start, saying why, when the quantity is above the contracts-per-leg limit', async () => {
    const actions = serveWith(risk({ max_contracts_per_leg: 2 }), { quantity: 3 }, 'idle');
    await riskLoaded();
    await waitFor(() => expect(screen.getByTestId('action-start')).toBeDisabled());
    expect(screen.getByTestId('start-blocked')).toHaveTextContent('Quantity 3 is above the risk limit of 2 contracts per leg');
    expect(actions).toEqual([]);
  });

  it('enables Start when the engine is armed', async () => {
    const actions = serve(risk(), 'idle');
    await riskLoaded();
    const start = screen.getByTestId('action-start');
    await waitFor(() => expect(start).toBeEnabled()); // once the (clear) risk state has rendered
    expect(screen.queryByTestId('start-blocked')).not.toBeInTheDocument();
    await userEvent.click(start);
    await waitFor(() => expect(actions).toEqual([{ action: 'start' }]));
  });
});

/**
 * Serve GET /api/engine/risk and hold the first action POST open until `settle()` is called; any
 * further POST answers 409 like the backend does for a repeated pause/resume/stop.
 */
function serveSlowActions(state: string) {
  const actions: unknown[] = [];
  let settle: () => void = () => {};
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const path = new URL(req.url).pathname;
      if (path === '/api/engine/risk') return jsonResponse(200, risk());
      if (path === '/api/strategies/7/actions') {
        const body = (await req.json()) as { action: string };
        actions.push(body);
        if (actions.length > 1) return jsonResponse(409, { error: 'conflict', detail: 'strategy is already paused', status_code: 409 });
        await new Promise<void>((resolve) => (settle = resolve));
        const next: Record<string, string> = { pause: 'paused', resume: 'waiting', stop: 'closed', flatten: 'closed' };
        return jsonResponse(200, { strategy_id: 7, action: body.action, state: next[body.action] ?? 'waiting' });
      }
      return jsonResponse(404, { detail: 'nope' });
    }),
  );
  session.applyTokens({ ...tokenBody('t'), user: adminUser });
  renderWithProviders(<Controls runtime={normalizeRuntime({ strategy_id: 7, name: 'weekly', state, mode: 'paper' })} />);
  return { actions, settle: () => settle() };
}

/** A fast double-click: the second click lands before anything re-renders (what isPending relied on). */
function doubleClick(el: HTMLElement) {
  fireEvent.click(el);
  fireEvent.click(el);
}

describe('Live Control actions on a double-click', () => {
  it.each([
    ['pause', 'open', 'Pause: weekly is now paused'],
    ['resume', 'paused', 'Resume: weekly is now waiting'],
  ] as const)('%s sends one POST, shows its loading state and no 409 toast', async (action, state, toast) => {
    const { actions, settle } = serveSlowActions(state);
    const button = screen.getByTestId(`action-${action}`);
    doubleClick(button);
    await waitFor(() => expect(actions).toEqual([{ action }]));
    expect(button).toHaveAttribute('data-loading', 'true');
    expect(button).toBeDisabled();
    settle();
    expect(await screen.findByText(toast)).toBeInTheDocument();
    await waitFor(() => expect(button).not.toHaveAttribute('data-loading'));
    expect(actions).toHaveLength(1);
    expect(screen.queryByText(/Request failed/)).not.toBeInTheDocument();
    expect(screen.queryByText('strategy is already paused')).not.toBeInTheDocument();
  });

  it.each([
    ['stop', 'Stop: weekly is now closed'],
    ['flatten', 'Flatten: weekly is now closed'],
  ] as const)('a double-click on the %s confirmation sends one POST', async (action, toast) => {
    const { actions, settle } = serveSlowActions('open');
    const user = userEvent.setup();
    await user.click(screen.getByTestId(`action-${action}`));
    const confirm = await screen.findByTestId('confirm-action');
    doubleClick(confirm);
    await waitFor(() => expect(actions).toEqual([{ action }]));
    expect(confirm).toHaveAttribute('data-loading', 'true');
    settle();
    expect(await screen.findByText(toast)).toBeInTheDocument();
    expect(actions).toHaveLength(1);
    expect(screen.queryByText(/Request failed/)).not.toBeInTheDocument();
  });
});
