import { Stack } from '@mantine/core';
import { Kpi, KpiGroup, MoneyKpi, toneOf } from './Kpi';
import { formatDuration, formatMoney, formatPercent, formatPercentOfOne, formatRatio } from './money';
import { formatInTz } from './rangeState';
import type { OpenSessionsStats, Summary } from './types';

const ANNUALISATION = 'Annualised with √365: crypto trades every calendar day. Risk-free rate 0. Daily return = day net PnL / starting capital.';

function ratioHint(s: Summary, what: string): string {
  const capital = Number(s.starting_capital);
  if (!(capital > 0)) return `${what} is undefined without a starting capital: enter one above. ${ANNUALISATION}`;
  if (s.trading_days < 2 && s.calendar_days < 2) return `${what} needs at least 2 days of results. ${ANNUALISATION}`;
  return ANNUALISATION;
}

export function KpiSections({ summary: s, open, tz }: { summary: Summary; open: OpenSessionsStats; tz: string }) {
  const dd = s.drawdown;
  const noCapital = !(Number(s.starting_capital) > 0);
  const sharpeHint =
    s.sharpe_ratio === null && !noCapital && s.calendar_days >= 2
      ? `Sharpe is undefined: daily returns have zero variance. ${ANNUALISATION}`
      : ratioHint(s, 'Sharpe');
  const sortinoHint =
    s.sortino_ratio === null && !noCapital && s.calendar_days >= 2
      ? `Sortino is undefined: there is no losing day. ${ANNUALISATION}`
      : ratioHint(s, 'Sortino');
  const calmarHint =
    s.calmar_ratio === null && !noCapital && s.calendar_days >= 2
      ? `Calmar (annualised return % / max drawdown %) is undefined: there is no drawdown. ${ANNUALISATION}`
      : `Calmar = annualised return % / max drawdown %. ${ratioHint(s, 'Calmar')}`;
  const streak = s.streaks.current_streak;
  return (
    <Stack gap="md">
      <KpiGroup title="Performance" description="realised, trades closed in range">
        <MoneyKpi id="net_pnl" label="Net PnL" amount={s.net_pnl} signed hint="Gross PnL − fees (fees are counted once)." />
        <MoneyKpi id="gross_pnl" label="Gross PnL" amount={s.gross_pnl} signed hint="Price PnL before fees." />
        <MoneyKpi id="fees" label="Fees" amount={s.fees} colored={false} sub={s.average_fee ? `avg ${formatMoney(s.average_fee)} / trade` : undefined} />
        <Kpi id="trade_count" label="Trades" value={String(s.trade_count)} raw={s.trade_count} sub={`${s.wins} W · ${s.losses} L · ${s.breakeven} BE`} />
        <Kpi
          id="win_rate"
          label="Win rate"
          value={formatPercentOfOne(s.win_rate)}
          raw={s.win_rate}
          hint={s.win_rate === null ? 'Undefined: no trades in range (no data is not 0 %).' : 'Wins / trades; breakevens count as trades.'}
          sub={s.leg_win_rate !== null ? `legs ${formatPercentOfOne(s.leg_win_rate)} of ${s.leg_count}` : undefined}
        />
        <Kpi
          id="profit_factor"
          label="Profit factor"
          value={formatRatio(s.profit_factor)}
          raw={s.profit_factor}
          hint={
            s.profit_factor === null
              ? s.trade_count === 0
                ? 'Undefined: no trades in range.'
                : 'Undefined: there are no losing trades (division by zero).'
              : 'Sum of winning nets / |sum of losing nets|.'
          }
        />
        <MoneyKpi id="expectancy" label="Expectancy" amount={s.expectancy} signed hint="Average net per trade = net PnL / trades." />
        <MoneyKpi id="average_win" label="Avg win" amount={s.average_win} signed hint={s.average_win === null ? 'No winning trades.' : undefined} />
        <MoneyKpi id="average_loss" label="Avg loss" amount={s.average_loss} signed hint={s.average_loss === null ? 'No losing trades.' : undefined} />
        <MoneyKpi id="largest_win" label="Largest win" amount={s.largest_win} signed />
        <MoneyKpi id="largest_loss" label="Largest loss" amount={s.largest_loss} signed />
      </KpiGroup>

      <KpiGroup title="Risk" description="equity = starting capital + cumulative net">
        <MoneyKpi
          id="max_drawdown"
          label="Max drawdown"
          amount={dd.max_drawdown}
          colored={false}
          sub={
            <>
              {formatPercent(dd.max_drawdown_pct)}
              {dd.max_drawdown_start && (
                <>
                  <br />
                  {formatInTz(dd.max_drawdown_start, tz)} → {formatInTz(dd.max_drawdown_end, tz)}
                </>
              )}
            </>
          }
          hint={
            dd.max_drawdown_pct === null
              ? 'Largest fall from a running equity peak. The % needs a positive peak: enter a starting capital.'
              : 'Largest fall from a running equity peak; dates: last peak → trough.'
          }
        />
        <MoneyKpi id="current_drawdown" label="Current drawdown" amount={dd.current_drawdown} colored={false} sub={formatPercent(dd.current_drawdown_pct)} />
        <Kpi id="sharpe_ratio" label="Sharpe" value={formatRatio(s.sharpe_ratio)} raw={s.sharpe_ratio} hint={sharpeHint} />
        <Kpi id="sortino_ratio" label="Sortino" value={formatRatio(s.sortino_ratio)} raw={s.sortino_ratio} hint={sortinoHint} />
        <Kpi id="calmar_ratio" label="Calmar" value={formatRatio(s.calmar_ratio)} raw={s.calmar_ratio} hint={calmarHint} />
        <Kpi
          id="annualized_return_pct"
          label="Annualised return"
          value={formatPercent(s.annualized_return_pct)}
          raw={s.annualized_return_pct}
          hint={noCapital ? 'Needs a starting capital.' : 'Mean daily return × 365 (not compounded).'}
        />
      </KpiGroup>

      <KpiGroup title="Streaks & days">
        <Kpi id="longest_win_streak" label="Longest win streak" value={String(s.streaks.longest_win_streak)} raw={s.streaks.longest_win_streak} />
        <Kpi id="longest_loss_streak" label="Longest loss streak" value={String(s.streaks.longest_loss_streak)} raw={s.streaks.longest_loss_streak} />
        <Kpi
          id="current_streak"
          label="Current streak"
          value={streak > 0 ? `${streak} W` : streak < 0 ? `${-streak} L` : '—'}
          raw={streak}
          tone={streak > 0 ? 'pos' : streak < 0 ? 'neg' : 'neutral'}
          hint="A breakeven trade ends a run."
        />
        <Kpi
          id="profitable_days"
          label="Profitable days"
          value={`${s.profitable_days} / ${s.trading_days}`}
          raw={s.profitable_days}
          sub={`${s.losing_days} losing · ${s.calendar_days} calendar days`}
          hint="Days with at least one trade closed, by day net PnL (in the selected timezone)."
        />
        <Kpi
          id="best_day"
          label="Best day"
          value={formatMoney(s.best_day_pnl, { signed: true })}
          raw={s.best_day_pnl}
          tone={toneOf(s.best_day_pnl)}
          sub={s.best_day ?? undefined}
        />
        <Kpi
          id="worst_day"
          label="Worst day"
          value={formatMoney(s.worst_day_pnl, { signed: true })}
          raw={s.worst_day_pnl}
          tone={toneOf(s.worst_day_pnl)}
          sub={s.worst_day ?? undefined}
        />
      </KpiGroup>

      <KpiGroup title="Options" description="premium, before fees">
        <MoneyKpi id="credit" label="Premium collected" amount={s.credit} colored={false} hint="Credit received when selling the legs." />
        <MoneyKpi id="debit" label="Paid to close" amount={s.debit} colored={false} />
        <MoneyKpi id="premium_kept" label="Premium kept" amount={s.premium_kept} signed hint="Collected − paid to close." />
        <Kpi
          id="premium_capture_pct"
          label="Capture"
          value={formatPercent(s.premium_capture_pct, 1)}
          raw={s.premium_capture_pct}
          hint={s.premium_capture_pct === null ? 'Undefined: no premium collected in range.' : 'Premium kept / collected × 100.'}
        />
        <Kpi
          id="average_holding"
          label="Avg holding time"
          value={formatDuration(s.average_holding_seconds)}
          raw={s.average_holding_seconds}
          hint="Mean of close time − open time."
        />
      </KpiGroup>

      <KpiGroup title="Open sessions" description="unrealised, never mixed into the figures above">
        <Kpi id="open_sessions" label="Open sessions" value={String(open.open_sessions)} raw={open.open_sessions} />
        <MoneyKpi id="open_credit" label="Open credit" amount={open.credit} colored={false} />
        <MoneyKpi id="open_fees" label="Fees paid" amount={open.fees} colored={false} />
        <Kpi
          id="unrealized_pnl"
          label="Unrealised PnL"
          value={open.unrealized_pnl_available ? formatMoney(open.unrealized_pnl, { signed: true }) : '—'}
          raw={open.unrealized_pnl}
          tone={toneOf(open.unrealized_pnl)}
          hint={open.unrealized_pnl_available ? 'Mark-to-market PnL of open legs, before fees.' : `Not available: ${open.note}. See the Live tab for marks.`}
        />
      </KpiGroup>
    </Stack>
  );
}
