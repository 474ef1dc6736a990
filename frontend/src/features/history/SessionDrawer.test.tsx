import { screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, renderWithProviders } from '../../test/utils';
import type { SessionDetail } from '../strategy/types';
import { SessionDrawer } from './SessionDrawer';

const T = '2026-03-02T03:06:00Z';

function leg(id: number, kind: string, entryPrice: string, fees: string, over: Partial<SessionDetail['legs'][number]> = {}): SessionDetail['legs'][number] {
  return {
    id, kind, symbol: `${kind === 'call' ? 'C' : 'P'}-BTC-${kind === 'call' ? 91800 : 88000}-020326`, strike: kind === 'call' ? '91800' : '88000',
    contract_value: '0.001', target_qty: 1, entry_qty: 1, entry_price: entryPrice, exit_qty: 0, exit_price: null, fees,
    gross_pnl: null, net_pnl: null, status: 'open', entry_delta: null, ...over,
  }; // prettier-ignore
}

function detail(over: Partial<SessionDetail['session']>, legs: SessionDetail['legs'], fillsFees: string): SessionDetail {
  return {
    session: {
      id: 'sess-1234567890', strategy_id: 1, strategy_name: 'BTC strangle', strategy_version: 1, mode: 'paper', underlying: 'BTC',
      status: 'open', trading_day: '2026-03-02', expiry: '2026-03-03T12:00:00Z', created_at: T, opened_at: T, closed_at: null,
      exit_reason: null, credit: '0.724', debit: '0.000', gross_pnl: null, fees: '0.0253', net_pnl: null, error: null, ...over,
    },
    legs, orders: [], fills: [], events: [], fills_fees: fillsFees,
  }; // prettier-ignore
}

// The session of the user review: paper strangle entered, both legs open, entry fees 0.0126 + 0.0127.
const OPEN = detail({}, [leg(1, 'call', '368.7', '0.0126'), leg(2, 'put', '355.3', '0.0127')], '0.0253');

const CLOSED = detail(
  { status: 'closed', closed_at: '2026-03-02T04:00:00Z', exit_reason: 'exit_time', credit: '0.724', debit: '0.1', gross_pnl: '0.624', fees: '0.0506', net_pnl: '0.5734' },
  [
    leg(1, 'call', '368.7', '0.0253', { exit_qty: 1, exit_price: '50', gross_pnl: '0.3187', net_pnl: '0.2934', status: 'closed' }),
    leg(2, 'put', '355.3', '0.0253', { exit_qty: 1, exit_price: '50', gross_pnl: '0.3053', net_pnl: '0.2800', status: 'closed' }),
  ],
  '0.05060',
);

let body: SessionDetail = OPEN;
beforeEach(() => {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (req: Request) => {
      const url = new URL(req.url);
      if (url.pathname === '/api/sessions/sess-1234567890') return jsonResponse(200, body);
      return jsonResponse(404, { error: 'not_found', detail: 'nope' });
    }),
  );
});
afterEach(() => {
  vi.unstubAllGlobals();
});

async function breakdown(): Promise<HTMLElement> {
  renderWithProviders(<SessionDrawer id="sess-1234567890" onClose={() => {}} />);
  return screen.findByTestId('pnl-breakdown');
}

describe('SessionDrawer', () => {
  it('an open session shows the entry fees paid, no realised gross/net, no fee warning, and open legs', async () => {
    body = OPEN;
    const b = await breakdown();
    expect(within(b).getByTestId('session-fees')).toHaveTextContent('0.0253');
    expect(b).toHaveTextContent('Fees paid so far');
    expect(within(b).getByTestId('gross-pnl')).toHaveTextContent('—');
    expect(within(b).getByTestId('net-pnl')).toHaveTextContent('—');
    expect(screen.getByTestId('not-booked')).toHaveTextContent('booked at close');
    expect(screen.queryByTestId('fees-mismatch')).toBeNull();
    // not entry credit minus fee (+0.3561 / +0.3426), as if the options had expired worthless
    expect(screen.getAllByTestId('leg-net').map((c) => c.textContent)).toEqual(['open', 'open']);
    expect(screen.getByRole('table', { name: 'Legs' })).not.toHaveTextContent('0.3561');
  });

  it('a closed session keeps its booked figures; equal fee sums written differently are not a mismatch', async () => {
    body = CLOSED;
    const b = await breakdown();
    expect(b).toHaveTextContent('Fees (subtracted)');
    expect(within(b).getByTestId('session-fees')).toHaveTextContent('0.0506');
    expect(within(b).getByTestId('gross-pnl')).toHaveTextContent('+0.6240');
    expect(within(b).getByTestId('net-pnl')).toHaveTextContent('+0.5734');
    expect(screen.queryByTestId('not-booked')).toBeNull();
    expect(screen.queryByTestId('fees-mismatch')).toBeNull(); // "0.05060" = "0.0506"
    expect(screen.getAllByTestId('leg-net').map((c) => c.textContent)).toEqual(['+0.2934', '+0.2800']);
  });

  it('a real fee mismatch is flagged, compared exactly (not through a float)', async () => {
    body = { ...CLOSED, fills_fees: '0.05060000000000000001' }; // same float as 0.0506
    await breakdown();
    expect(await screen.findByTestId('fees-mismatch')).toHaveTextContent('differs from session fees 0.0506');
  });
});
