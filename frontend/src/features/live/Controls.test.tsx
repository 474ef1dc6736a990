import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../api';
import { adminUser, jsonResponse, renderWithProviders, tokenBody } from '../../test/utils';
import type { RiskRead } from '../strategy/types';
import { Controls } from './Controls';
import { normalizeRuntime } from './runtime';

afterEach(() => {
  cleanup();
  session.end(null, false);
  vi.unstubAllGlobals();
});

function risk(over: Partial<RiskRead> = {}): RiskRead {
  return {
    kill_switch_at: null,
    breaker_tripped_at: null,
    breaker_reason: null,
    daily_loss_limit_usd: null,
    max_contracts_per_leg: 10,
    max_open_legs: 10,
    max_running_strategies: 5,
    ...over,
  };
}

/** Serve GET /api/engine/risk; record every action posted. One Controls per state, each in `controls-<state>`. */
function serve(r: RiskRead, ...states: string[]) {
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
          <Controls runtime={normalizeRuntime({ strategy_id: 7, name: 'weekly', state, mode: 'paper' })} />
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

  it('enables Start when the engine is armed', async () => {
    const actions = serve(risk(), 'idle');
    await riskLoaded();
    await new Promise((resolve) => setTimeout(resolve, 20)); // let the (clear) risk state render
    const start = screen.getByTestId('action-start');
    expect(start).toBeEnabled();
    expect(screen.queryByTestId('start-blocked')).not.toBeInTheDocument();
    await userEvent.click(start);
    await waitFor(() => expect(actions).toEqual([{ action: 'start' }]));
  });
});
