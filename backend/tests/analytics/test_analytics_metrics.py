"""Every metric against the hand-computed fixture in analytics_factories.hand_fixture()."""

from __future__ import annotations

import math
from datetime import date, timedelta

import msgspec
import pytest
from analytics_factories import STARTING_CAPITAL, D, hand_fixture, trade, utc

from deltaplane.analytics import metrics as m
from deltaplane.analytics.records import OpenPosition

NETS = [D(48), D(-22), D(0), D(-44), D(28), D(57)]


@pytest.fixture
def trades():
    return m.filter_trades(hand_fixture())


@pytest.fixture
def summary(trades):
    return m.compute_summary(trades, tz="UTC", starting_capital=STARTING_CAPITAL)


def test_nets_come_from_the_single_ledger(trades):
    assert [t.net_pnl for t in trades] == NETS


def test_totals_subtract_fees_once(summary):
    # gross 50-20+2-40+30+60 = 82; fees 2+2+2+4+2+3 = 15; net 82-15 = 67 (not 82-15-15)
    assert (summary.gross_pnl, summary.fees, summary.net_pnl) == (D(82), D(15), D(67))
    assert summary.trade_count == 6
    assert summary.average_fee == D("2.5")  # 15 / 6


def test_count_outcomes_breakeven_is_exactly_zero():
    # +48, +28, +57 win; -22, -44 lose; 0 breakeven
    assert m.count_outcomes(NETS) == (3, 2, 1)
    assert m.count_outcomes([D("0.00"), D("-0.01")]) == (0, 1, 1)


def test_win_rate():
    assert m.win_rate(NETS) == 0.5  # 3 wins / 6 trades (the breakeven counts in the denominator)
    assert m.win_rate([]) is None  # no trades is "no data", not 0 %


def test_average_win_and_loss():
    assert m.average_win(NETS) == D("44.33333333")  # (48+28+57)/3 = 133/3
    assert m.average_loss(NETS) == D(-33)  # (-22-44)/2
    assert m.average_win([D(-1)]) is None
    assert m.average_loss([D(1)]) is None


def test_largest_win_and_loss():
    assert m.largest_win(NETS) == D(57)
    assert m.largest_loss(NETS) == D(-44)
    assert m.largest_win([D(-5)]) is None
    assert m.largest_loss([D(5), D(0)]) is None


def test_profit_factor():
    assert m.profit_factor(NETS) == pytest.approx(133 / 66)  # wins 133 / |losses| 66
    assert m.profit_factor([D(5), D(0)]) is None  # no losses: undefined, not infinity
    assert m.profit_factor([D(-5)]) == 0.0


def test_expectancy_equals_weighted_average():
    # P(win)·avg win + P(loss)·avg loss = 0.5·133/3 + (2/6)·(-33) = 22.1667 - 11 = 11.1667 = 67/6
    assert m.expectancy(NETS) == D("11.16666667")
    assert float(m.expectancy(NETS)) == pytest.approx(0.5 * 133 / 3 + (2 / 6) * -33)
    assert m.expectancy([]) is None


def test_streaks():
    # W L B L W W -> longest win 2 (t5,t6), longest loss 1 (the breakeven splits t2 and t4), now +2
    assert m.streaks(NETS) == m.StreakStats(longest_win_streak=2, longest_loss_streak=1, current_streak=2)
    assert m.streaks([D(-1), D(-2), D(-3)]).current_streak == -3
    assert m.streaks([]) == m.StreakStats(longest_win_streak=0, longest_loss_streak=0, current_streak=0)


def test_leg_stats(trades):
    # legs: t1 call 30-1=29, put 20-1=19; t2 call -30-1=-31, put 10-1=9 -> 3 of 4 win
    assert m.leg_stats(trades) == (4, 3, 0.75)
    assert m.leg_stats([]) == (0, 0, None)


def test_equity_curve(trades):
    curve = m.equity_curve(trades, STARTING_CAPITAL)
    # 1000 +48 -22 +0 -44 +28 +57
    assert [p.equity for p in curve] == [D(1048), D(1026), D(1026), D(982), D(1010), D(1067)]
    assert curve[-1].equity == STARTING_CAPITAL + D(67)


def test_drawdown_stats(trades):
    dd = m.drawdown_stats(m.equity_curve(trades, STARTING_CAPITAL), STARTING_CAPITAL, trades[0].opened_at)
    # peak 1048 after t1; trough 982 after t4 -> 66; 66 / 1048 * 100 = 6.2977 %
    assert dd.max_drawdown == D(66)
    assert dd.max_drawdown_pct == pytest.approx(66 / 1048 * 100)
    assert dd.max_drawdown_start == utc(2025, 1, 1, 10)
    assert dd.max_drawdown_end == utc(2025, 1, 4, 10)
    # t6 makes a new peak 1067 -> no current drawdown
    assert (dd.current_drawdown, dd.current_drawdown_pct, dd.peak_equity, dd.final_equity) == (
        D(0),
        0.0,
        D(1067),
        D(1067),
    )


def test_drawdown_from_zero_capital_has_no_percentage():
    # capital 0: -10 -> equity -10, peak stays 0 -> drawdown 10 but no % (peak not > 0)
    ts = [trade("a", utc(2025, 1, 1, 10), "-10", "0")]
    dd = m.drawdown_stats(m.equity_curve(ts), D(0), ts[0].opened_at)
    assert dd.max_drawdown == D(10)
    assert dd.max_drawdown_pct is None
    assert dd.max_drawdown_start == ts[0].opened_at  # equity was at the initial peak when it opened
    assert dd.current_drawdown == D(10)


def test_drawdown_series(trades):
    series = m.drawdown_series(m.equity_curve(trades, STARTING_CAPITAL), STARTING_CAPITAL)
    # peaks 1048,1048,1048,1048,1048,1067 minus equity
    assert [p.drawdown for p in series] == [D(0), D(22), D(22), D(66), D(38), D(0)]
    assert series[3].drawdown_pct == pytest.approx(66 / 1048 * 100)


def test_daily_pnl_zero_fills_gaps(trades):
    days = m.daily_pnl(trades, "UTC")
    # 01-01: 48-22=26 (2 trades); 01-02: 0 (1); 01-03: no trades -> zero row; 01-04: -44+28=-16; 01-05: 57
    assert [(d.date.day, d.trade_count, d.net_pnl) for d in days] == [
        (1, 2, D(26)),
        (2, 1, D(0)),
        (3, 0, D(0)),
        (4, 2, D(-16)),
        (5, 1, D(57)),
    ]
    assert days[0].gross_pnl == D(30) and days[0].fees == D(4)  # 50-20, 2+2
    assert [d.cumulative_net_pnl for d in days] == [D(26), D(26), D(26), D(10), D(67)]
    assert m.daily_pnl([], "UTC") == []


def test_daily_buckets_follow_the_users_timezone():
    # 2025-01-01 20:00 UTC is 2025-01-02 01:30 in Asia/Kolkata (+05:30); 10:00 UTC is 15:30 IST
    ts = [trade("a", utc(2025, 1, 1, 10), "10", "0"), trade("b", utc(2025, 1, 1, 20), "5", "0")]
    assert [(d.date, d.net_pnl) for d in m.daily_pnl(ts, "UTC")] == [(date(2025, 1, 1), D(15))]
    assert [(d.date, d.net_pnl) for d in m.daily_pnl(ts, "Asia/Kolkata")] == [
        (date(2025, 1, 1), D(10)),
        (date(2025, 1, 2), D(5)),
    ]
    # 18:29:59 UTC is still 23:59:59 IST on the 1st; 18:30 UTC is midnight IST on the 2nd
    edge = [trade("c", utc(2025, 1, 1, 18, 29, 59), "1", "0"), trade("d", utc(2025, 1, 1, 18, 30), "2", "0")]
    assert [d.date.day for d in m.daily_pnl(edge, "Asia/Kolkata")] == [1, 2]


def test_sharpe_and_sortino_on_daily_returns(trades):
    returns = m.daily_returns(m.daily_pnl(trades, "UTC"), STARTING_CAPITAL)
    # day nets 26, 0, 0, -16, 57 over capital 1000
    assert returns == [0.026, 0.0, 0.0, -0.016, 0.057]
    # mean = 0.067/5 = 0.0134; squared deviations 0.0126², 0.0134², 0.0134², 0.0294², 0.0436²
    # sum = 0.00015876+0.00017956+0.00017956+0.00086436+0.00190096 = 0.0032832; sample var /4
    expected_sharpe = 0.0134 / math.sqrt(0.0032832 / 4) * math.sqrt(365)
    assert m.sharpe_ratio(returns) == pytest.approx(expected_sharpe)
    # downside: only -0.016 -> 0.000256 / 5 days = 0.0000512
    expected_sortino = 0.0134 / math.sqrt(0.000256 / 5) * math.sqrt(365)
    assert m.sortino_ratio(returns) == pytest.approx(expected_sortino)
    # annualised 0.0134 * 365 * 100 = 489.1 %; Calmar = 489.1 / 6.2977
    assert m.annualized_return_pct(returns) == pytest.approx(489.1)
    assert m.calmar_ratio(489.1, 66 / 1048 * 100) == pytest.approx(489.1 / (66 / 1048 * 100))


def test_ratio_edge_cases():
    assert m.daily_returns([], D(0)) is None  # no capital -> no returns
    assert m.sharpe_ratio(None) is None
    assert m.sharpe_ratio([0.01]) is None  # one day: no variance
    assert m.sharpe_ratio([0.01, 0.01]) is None  # zero variance
    assert m.sortino_ratio([0.01, 0.02]) is None  # no losing day
    assert m.calmar_ratio(10.0, None) is None
    assert m.calmar_ratio(10.0, 0.0) is None


def test_average_holding_seconds(trades):
    # five trades held 1 h, t6 held 3 h: (5*3600 + 10800) / 6 = 4800 s
    assert m.average_holding_seconds(trades) == 4800.0
    assert m.average_holding_seconds([]) is None


def test_premium_stats(trades):
    # credit 100+80+50+60+70+90 = 450; debit 50+100+48+100+40+30 = 368; kept 82; 82/450 = 18.22 %
    credit, debit, kept, capture = m.premium_stats(trades)
    assert (credit, debit, kept) == (D(450), D(368), D(82))
    assert capture == pytest.approx(82 / 450 * 100)
    assert m.premium_stats([])[3] is None


def test_breakdown_by_exit_reason(trades):
    rows = {r.key: r for r in m.breakdown_by(trades, "exit_reason")}
    assert [r.key for r in m.breakdown_by(trades, "exit_reason")] == ["take_profit", "max_loss", "exit_time"]
    # take_profit: t1 48 + t5 28 + t6 57 = 133; max_loss: -22 - 44 = -66; exit_time: 0
    assert (rows["take_profit"].trade_count, rows["take_profit"].net_pnl, rows["take_profit"].win_rate) == (
        3,
        D(133),
        1.0,
    )
    assert (rows["max_loss"].trade_count, rows["max_loss"].net_pnl, rows["max_loss"].losses) == (2, D(-66), 2)
    assert rows["exit_time"].net_pnl == D(0)
    # fees per group add up to the total: 2+2+3 + 2+4 + 2 = 15
    assert sum(r.fees for r in rows.values()) == D(15)


def test_breakdown_by_underlying(trades):
    rows = m.breakdown_by(trades, "underlying")
    # BTC: 48-22+0 = 26 (gross 32, fees 6); ETH: -44+28+57 = 41 (gross 50, fees 9); tie on count -> by key
    assert [(r.key, r.trade_count, r.gross_pnl, r.fees, r.net_pnl) for r in rows] == [
        ("BTC", 3, D(32), D(6), D(26)),
        ("ETH", 3, D(50), D(9), D(41)),
    ]
    # premium kept BTC: (100-50)+(80-100)+(50-48) = 32; ETH: (60-100)+(70-40)+(90-30) = 50
    assert [r.premium_kept for r in rows] == [D(32), D(50)]


def test_unrealized_is_reported_apart():
    pos = OpenPosition(
        session_id="open-1",
        strategy_id="strat-1",
        strategy_name="x",
        underlying="BTC",
        opened_at=utc(2025, 1, 6, 9),
        credit=D(120),
        unrealized_pnl=D(35),
        fees=D(2),
    )
    stats = m.unrealized_stats([pos])
    assert (
        stats.open_sessions,
        stats.credit,
        stats.unrealized_pnl,
        stats.fees,
        stats.net_unrealized_pnl,
    ) == (
        1,
        D(120),
        D(35),
        D(2),
        D(33),  # 35 - 2
    )
    summary = m.compute_summary(hand_fixture(), [pos], starting_capital=STARTING_CAPITAL)
    assert summary.net_pnl == D(67)  # realised only
    assert summary.unrealized.net_unrealized_pnl == D(33)
    assert m.unrealized_stats([pos], strategy_id="other").open_sessions == 0


def test_rolling_win_rate_window():
    # 12 trades: W W L W L L W W W W L W ; window 3 for readable arithmetic
    pattern = "WWLWLLWWWWLW"
    ts = [
        trade(f"r{i}", utc(2025, 2, 1) + timedelta(hours=i), "1" if c == "W" else "-1", "0")
        for i, c in enumerate(pattern)
    ]
    points = m.rolling_win_rate(ts, window=3)
    # each point = wins among the last min(i+1, 3) trades, e.g. i=2: WWL 2/3, i=5: WLL 1/3
    expected = [pattern[max(0, i - 2) : i + 1].count("W") / min(i + 1, 3) for i in range(len(pattern))]
    assert [p.win_rate for p in points] == pytest.approx(expected)
    assert [p.trades_in_window for p in points][:4] == [1, 2, 3, 3]
    assert points[2].win_rate == pytest.approx(2 / 3)  # W W L
    assert points[5].win_rate == pytest.approx(1 / 3)  # W L L
    with pytest.raises(ValueError):
        m.rolling_win_rate(ts, window=0)


def test_rolling_win_rate_default_window_is_10(trades):
    history = m.compute_history(trades)
    assert history.rolling_window == 10
    assert history.rolling_win_rate[-1].win_rate == 0.5  # all 6 trades in the window, 3 wins


def test_pnl_histogram_bins():
    bins = m.pnl_histogram(NETS)
    # range -44..57 = 101; target max(5, isqrt(6)=2) = 5 bins -> raw 20.2 -> nice width 50
    # edges start at floor(-44/50)*50 = -50: [-50,0) [0,50) [50,100)
    assert [(b.lower, b.upper, b.count) for b in bins] == [
        (D(-50), D(0), 2),  # -22, -44
        (D(0), D(50), 3),  # 48, 0, 28 (0 is an edge: breakeven falls in the [0, 50) bin)
        (D(50), D(100), 1),  # 57
    ]
    assert sum(b.count for b in bins) == 6
    assert m.pnl_histogram([]) == []
    single = m.pnl_histogram([D("12.5"), D("12.5")])
    assert len(single) == 1 and single[0].count == 2 and single[0].lower <= D("12.5") < single[0].upper


def test_pnl_histogram_widths_are_nice():
    nets = [D(i) / 10 for i in range(-37, 91)]  # 128 values, -3.7..9.0
    bins = m.pnl_histogram(nets)
    # span 12.7 / target isqrt(128)=11 -> raw 1.1545 -> rounded up to the nice width 2
    assert {b.upper - b.lower for b in bins} == {D(2)}
    # first edge floor(-3.7/2)*2 = -4; last bin holds 9.0: floor((9+4)/2)+1 = 7 bins, -4..10
    assert (len(bins), bins[0].lower, bins[-1].upper) == (7, D(-4), D(10))
    assert sum(b.count for b in bins) == 128


def test_filter_trades_is_half_open_and_sorted():
    ts = hand_fixture()[::-1]
    selected = m.filter_trades(ts, start=utc(2025, 1, 1, 14), end=utc(2025, 1, 4, 12))
    assert [t.session_id for t in selected] == ["t2", "t3", "t4"]  # t5 closes exactly at end: excluded
    assert m.filter_trades(ts, strategy_id="nope") == []


def test_compute_summary_on_fixture(summary):
    assert (summary.wins, summary.losses, summary.breakeven, summary.win_rate) == (3, 2, 1, 0.5)
    assert summary.drawdown.max_drawdown == D(66)
    assert (summary.calendar_days, summary.trading_days, summary.profitable_days, summary.losing_days) == (
        5,
        4,
        2,
        1,
    )
    assert (summary.best_day, summary.best_day_pnl) == (date(2025, 1, 5), D(57))
    assert (summary.worst_day, summary.worst_day_pnl) == (date(2025, 1, 4), D(-16))
    assert summary.sharpe_ratio == pytest.approx(0.0134 / math.sqrt(0.0032832 / 4) * math.sqrt(365))
    assert summary.calmar_ratio == pytest.approx(489.1 / (66 / 1048 * 100))
    assert summary.premium_capture_pct == pytest.approx(82 / 450 * 100)
    assert summary.leg_win_rate == 0.75
    assert [r.key for r in summary.by_strategy] == ["strat-1"]


def test_compute_summary_empty_range():
    s = m.compute_summary([], tz="Asia/Kolkata")
    assert (s.trade_count, s.net_pnl, s.win_rate, s.profit_factor, s.sharpe_ratio) == (
        0,
        D(0),
        None,
        None,
        None,
    )
    assert s.drawdown.max_drawdown == D(0) and s.best_day is None and s.by_exit_reason == ()
    assert s.timezone == "Asia/Kolkata"


def test_summary_json_money_as_strings_ratios_as_floats(summary):
    data = msgspec.json.decode(msgspec.json.encode(summary))
    assert data["net_pnl"] == "67" and data["fees"] == "15"
    assert isinstance(data["win_rate"], float) and isinstance(data["profit_factor"], float)
    assert data["drawdown"]["max_drawdown"] == "66"


def test_compute_history_series(trades):
    h = m.compute_history(trades, tz="UTC", starting_capital=STARTING_CAPITAL)
    assert len(h.equity_curve) == len(h.drawdown) == len(h.rolling_win_rate) == 6
    assert h.equity_curve[-1].equity == D(1067)
    assert [d.net_pnl for d in h.daily_pnl] == [D(26), D(0), D(0), D(-16), D(57)]
    assert sum(b.count for b in h.pnl_histogram) == 6


def test_strategy_filter_in_entry_points():
    ts = [*hand_fixture(), trade("x", utc(2025, 1, 3), "1000", "0", strategy_id="strat-2")]
    assert m.compute_summary(ts, strategy_id="strat-1").net_pnl == D(67)
    assert m.compute_summary(ts).net_pnl == D(1067)
    assert len(m.compute_history(ts, strategy_id="strat-2").equity_curve) == 1
