import { cleanup, fireEvent, screen, waitFor } from '@testing-library/react';
import { notifications } from '@mantine/notifications';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { session } from '../../api';
import { adminUser, jsonResponse, renderWithProviders, tokenBody } from '../../test/utils';
import type { RiskRead } from '../strategy/types';
import { KillSwitch, RiskPanel } from './EnginePanels';

afterEach(() => {
  cleanup();
  notifications.clean();
  session.end(null, false);
  vi.unstubAllGlobals();
});

const risk: RiskRead = {
  kill_switch_at: null,
  breaker_tripped_at: null,
  breaker_reason: null,
  daily_loss_limit_usd: null,
  day_pnl_usd: '-0.065',
  max_contracts_per_leg: 10,
  max_open_legs: 10,
  max_running_strategies: 5,
};

/** Serve the risk row; record PUT bodies. */
function serve(): unknown[] {
  const puts: unknown[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      if (new URL(req.url).pathname !== '/api/engine/risk') return jsonResponse(404, { detail: 'nope' });
      if (req.method === 'PUT') {
        const body = (await req.json()) as Record<string, unknown>;
        puts.push(body);
        return jsonResponse(200, { ...risk, daily_loss_limit_usd: body.daily_loss_limit_usd });
      }
      return jsonResponse(200, risk);
    }),
  );
  session.applyTokens({ ...tokenBody('t'), user: adminUser });
  return puts;
}

describe('KillSwitch', () => {
  it('forgets the typed confirmation when the dialog is cancelled', async () => {
    serve();
    renderWithProviders(<KillSwitch risk={risk} />);
    fireEvent.click(screen.getByTestId('kill-switch'));
    fireEvent.change(await screen.findByTestId('kill-confirm-input'), { target: { value: 'KILL' } });
    expect(screen.getByTestId('kill-confirm')).toBeEnabled();
    fireEvent.click(screen.getByTestId('kill-cancel'));
    await waitFor(() => expect(screen.queryByTestId('kill-confirm-input')).toBeNull());
    fireEvent.click(screen.getByTestId('kill-switch'));
    expect(await screen.findByTestId('kill-confirm-input')).toHaveValue('');
    expect(screen.getByTestId('kill-confirm')).toBeDisabled();
  });
});

describe('RiskPanel', () => {
  it("shows today's PnL and asks before saving a limit that trips the breaker at once", async () => {
    const puts = serve();
    renderWithProviders(<RiskPanel admin />);
    expect(await screen.findByTestId('risk-view')).toHaveTextContent('−0.0650 USD');
    fireEvent.click(screen.getByTestId('edit-risk'));
    fireEvent.change(screen.getByTestId('risk-daily_loss_limit_usd'), { target: { value: '0.05' } });
    fireEvent.click(screen.getByTestId('save-risk'));
    expect(await screen.findByTestId('risk-trip-warning')).toHaveTextContent('already exceeded');
    expect(puts).toEqual([]); // nothing sent before the confirmation
    fireEvent.click(screen.getByTestId('confirm-action'));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]).toMatchObject({ daily_loss_limit_usd: '0.05' });
  });

  it('saves a limit above today\'s loss without asking', async () => {
    const puts = serve();
    renderWithProviders(<RiskPanel admin />);
    fireEvent.click(await screen.findByTestId('edit-risk'));
    fireEvent.change(screen.getByTestId('risk-daily_loss_limit_usd'), { target: { value: '1' } });
    fireEvent.click(screen.getByTestId('save-risk'));
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(screen.queryByTestId('risk-trip-warning')).toBeNull();
  });
});
