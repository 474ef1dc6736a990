/** API bodies for the Analytics page's tests: an empty (or `tradeCount`-trade) summary and history. */
const zero = '0';

export type RangeBody = { start: string | null; end: string; timezone: string; preset: string | null; strategy_id: number | null; generated_at: string };

export function summaryBody(range: RangeBody, tradeCount = 0, net = '0') {
  return {
    range,
    open_sessions: { open_sessions: 0, credit: zero, fees: zero, unrealized_pnl: null, unrealized_pnl_available: false, note: 'no marks' },
    summary: {
      start: null, end: range.end, timezone: 'UTC', starting_capital: zero, trade_count: tradeCount, gross_pnl: net, fees: zero,
      net_pnl: net, average_fee: null, wins: tradeCount, losses: 0, breakeven: 0, win_rate: tradeCount ? 1 : null,
      average_trade: null, average_win: null, average_loss: null, largest_win: null, largest_loss: null,
      profit_factor: null, expectancy: null, leg_count: 0, leg_wins: 0, leg_win_rate: null,
      drawdown: { max_drawdown: zero, max_drawdown_pct: null, max_drawdown_start: null, max_drawdown_end: null, current_drawdown: zero, current_drawdown_pct: null, peak_equity: zero, final_equity: zero },
      sharpe_ratio: null, sortino_ratio: null, calmar_ratio: null, annualized_return_pct: null,
      streaks: { longest_win_streak: 0, longest_loss_streak: 0, current_streak: 0 },
      calendar_days: 0, trading_days: 0, profitable_days: 0, losing_days: 0, best_day: null, best_day_pnl: null, worst_day: null, worst_day_pnl: null,
      average_holding_seconds: null, credit: zero, debit: zero, premium_kept: zero, premium_capture_pct: null,
      by_exit_reason: [], by_underlying: [], by_strategy: [],
      unrealized: { open_sessions: 0, credit: zero, unrealized_pnl: null, fees: zero, net_unrealized_pnl: null },
    },
  };
}
export function historyBody(range: RangeBody) {
  return {
  range,
  history: { start: null, end: range.end, timezone: 'UTC', starting_capital: zero, equity_curve: [], drawdown: [], daily_pnl: [], rolling_win_rate: [], rolling_window: 10, pnl_histogram: [] },
};
}
