"""CSV export: layout, round-trip, formula neutralisation, laziness."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from analytics_factories import STARTING_CAPITAL, D, hand_fixture, trade, utc
from hypothesis import given, settings
from hypothesis import strategies as st

from deltaplane.analytics import metrics as m
from deltaplane.analytics.csv_export import (
    DAILY_COLUMNS,
    TIMELINE_COLUMNS,
    build_export_metadata,
    export_filename,
    flatten_struct,
    format_cell,
    iter_export_csv,
    metrics_as_dict,
    neutralise_text,
    parse_export_csv,
    summary_from_export,
)
from deltaplane.analytics.records import TimelineRow

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", " ")  # spreadsheets may trim a leading space or line break


def timeline_row(i: int, **overrides) -> TimelineRow:
    fields = {
        "timestamp": utc(2025, 1, 1) + timedelta(seconds=i),
        "session_id": f"s{i // 10}",
        "strategy_id": "strat-1",
        "entry_type": "fill",
        "order_id": f"o{i}",
        "symbol": "C-BTC-90000-310125",
        "side": "sell",
        "quantity": D(1),
        "price": D("12.5"),
        "fee": D("0.35"),
        "realized_pnl": D("-12.5"),
        "message": "filled",
        "metadata": {"client_order_id": f"c{i}"},
    }
    fields.update(overrides)
    return TimelineRow(**fields)


def make_export(timeline=(), trades=None, open_positions=()):
    trades = hand_fixture() if trades is None else trades
    summary = m.compute_summary(trades, open_positions, tz="Asia/Kolkata", starting_capital=STARTING_CAPITAL)
    history = m.compute_history(trades, tz="Asia/Kolkata", starting_capital=STARTING_CAPITAL)
    metadata = build_export_metadata(
        generated_at=utc(2025, 1, 6, 12),
        start=None,
        end=utc(2025, 1, 6, 12),
        preset="all",
        timezone="Asia/Kolkata",
        strategy_id=None,
        trade_count=summary.trade_count,
        open_session_count=0,
        daily_row_count=len(history.daily_pnl),
        timeline_row_count=len(timeline),
        app_version="0.1.0",
    )
    text = "".join(iter_export_csv(metadata, summary, history.daily_pnl, timeline))
    return text, summary, history


def test_layout_sections_and_headers():
    text, _, history = make_export([timeline_row(0)])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["section", "field", "value"]
    assert [r[0] for r in rows[1:]] == sorted(
        [r[0] for r in rows[1:]], key=["metadata", "metrics", "daily", "timeline"].index
    )
    headers = {r[0]: r[1:] for r in reversed(rows[1:])}  # first row of each section
    assert headers == {
        "metadata": ["field", "value"],
        "metrics": ["field", "value"],
        "daily": list(DAILY_COLUMNS),
        "timeline": list(TIMELINE_COLUMNS),
    }
    assert text.endswith("\r\n")


def test_metadata_rows():
    text, _, _ = make_export([timeline_row(0)])
    meta = metrics_as_dict(parse_export_csv(text)["metadata"])
    assert list(meta) == [
        "generated_at",
        "start",
        "end",
        "preset",
        "timezone",
        "strategy_id",
        "trade_count",
        "open_session_count",
        "daily_row_count",
        "timeline_row_count",
        "app_version",
    ]
    assert meta["generated_at"] == "2025-01-06T12:00:00Z"  # UTC, ISO-8601
    assert (meta["start"], meta["preset"], meta["trade_count"], meta["timeline_row_count"]) == (
        "",
        "all",
        "6",
        "1",
    )


def test_round_trip_equals_summary():
    text, summary, history = make_export([timeline_row(i) for i in range(25)])
    parsed = parse_export_csv(text)
    assert summary_from_export(parsed) == summary
    flat = metrics_as_dict(parsed["metrics"])
    assert flat["net_pnl"] == "67" and flat["drawdown.max_drawdown"] == "66"
    assert flat["by_exit_reason.0.key"] == "take_profit"
    assert len(flat) == sum(1 for _ in flatten_struct(summary))  # every number of Summary is a row
    # daily section equals the history series (IST days here)
    assert [(r["date"], r["net_pnl"]) for r in parsed["daily"]] == [
        (d.date.isoformat(), str(d.net_pnl)) for d in history.daily_pnl
    ]
    assert sum(Decimal(r["net_pnl"]) for r in parsed["daily"]) == summary.net_pnl
    assert len(parsed["timeline"]) == 25
    first = parsed["timeline"][0]
    assert first["realized_pnl"] == "-12.5" and first["metadata"] == '{"client_order_id":"c0"}'
    assert first["order_id"] == "o0" and first["fee"] == "0.35"


def test_round_trip_empty_range():
    text, summary, _ = make_export([], trades=[])
    parsed = parse_export_csv(text)
    assert summary_from_export(parsed) == summary
    assert parsed["daily"] == [] and parsed["timeline"] == []


def test_negative_numbers_stay_numeric():
    ts = [trade("a", utc(2025, 1, 1, 10), "-12.5", "0", exit_reason="-1+1")]
    text, _, _ = make_export([timeline_row(0, price=D("-3.25"), realized_pnl=D("-12.5"))], trades=ts)
    assert "metrics,net_pnl,-12.5\r\n" in text
    assert ",-3.25," in text and ",-12.5," in text
    assert "metrics,by_exit_reason.0.key,'-1+1\r\n" in text  # text that looks like a formula is neutralised
    assert format_cell(D("-12.5")) == "-12.5" and format_cell(-3) == "-3" and format_cell(-0.5) == "-0.5"


@pytest.mark.parametrize("prefix", TRIGGERS)
def test_each_trigger_is_neutralised(prefix):
    evil = f'{prefix}HYPERLINK("http://x")'
    text, _, _ = make_export([timeline_row(0, message=evil, symbol=evil, order_id=evil)])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    cells = rows[-1]
    for col in ("order_id", "symbol", "message"):
        cell = cells[1 + TIMELINE_COLUMNS.index(col)]
        assert cell == "'" + evil
    assert parse_export_csv(text)["timeline"][0]["message"] == evil  # parser restores the text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_neutralisation_property(text):
    cell = neutralise_text(text)
    assert not cell or cell[0] not in TRIGGERS  # nothing a spreadsheet evaluates
    assert (cell[1:] if cell.startswith("'") else cell) == text  # and it is exactly reversible


@settings(max_examples=100, deadline=None)
@given(
    st.text(max_size=20)
    | st.sampled_from(TRIGGERS).flatmap(lambda p: st.text(max_size=10).map(lambda s: p + s)),
    st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False),
)
def test_export_cells_round_trip(text, number):
    row = timeline_row(0, message=text, session_id=text or "s", price=number, metadata={"note": text})
    exported = "".join(iter_export_csv({"note": text}, m.compute_summary([]), [], [row]))
    for line_cells in csv.reader(io.StringIO(exported, newline="")):
        for cell in line_cells:
            assert not cell or cell[0] not in TRIGGERS or _is_number(cell)
    parsed = parse_export_csv(exported)
    got = parsed["timeline"][0]
    assert (got["message"], got["session_id"], got["price"]) == (text, text or "s", str(number))
    assert metrics_as_dict(parsed["metadata"])["note"] == text


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except ArithmeticError:
        return False
    return True


class CountingTimeline:
    """An endless-looking timeline that records how many rows were pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    def __iter__(self):
        for i in range(self.total):
            self.pulled += 1
            yield timeline_row(i)


def test_generator_is_lazy_and_chunked():
    timeline = CountingTimeline(1_000_000)
    summary = m.compute_summary([])
    chunks = iter_export_csv({}, summary, [], timeline, chunk_rows=500)
    assert timeline.pulled == 0  # nothing happens until the response pulls
    first = next(chunks)
    assert timeline.pulled < 1_000  # one chunk's worth, not a million rows
    second = next(chunks)
    assert timeline.pulled < 1_500
    assert first.count("\r\n") <= 500 + 60 and second.count("\r\n") == 500


def test_chunks_concatenate_to_the_whole_file():
    rows = [timeline_row(i) for i in range(1234)]
    chunks = list(iter_export_csv({}, m.compute_summary([]), [], rows, chunk_rows=100))
    assert len(chunks) > 10
    assert len(parse_export_csv("".join(chunks))["timeline"]) == 1234


def test_export_filename():
    assert (
        export_filename(datetime(2025, 1, 31, 9, 5, 7, tzinfo=utc(2025, 1, 1).tzinfo))
        == "analytics-export-20250131-090507.csv"
    )


def test_parse_rejects_foreign_csv():
    with pytest.raises(ValueError):
        parse_export_csv("a,b,c\r\n1,2,3\r\n")
    with pytest.raises(ValueError):
        parse_export_csv("")


def test_format_cell_types():
    assert format_cell(None) == ""
    assert format_cell(True) == "true"
    assert format_cell(date(2025, 1, 2)) == "2025-01-02"
    assert format_cell({"a": "=1"}) == '{"a":"=1"}'
    assert format_cell("'quoted") == "''quoted"


@settings(max_examples=150, deadline=None)
@given(
    st.text(max_size=15),
    st.text(alphabet=',"\r\n ab=', max_size=8),
    st.none() | st.dictionaries(st.text(max_size=4), st.text(max_size=6), max_size=2),
)
def test_fast_timeline_line_matches_csv_writer(message, symbol, metadata):
    # the hot path joins cells itself; it must write exactly what csv.writer would
    row = timeline_row(3, message=message, symbol=symbol, metadata=metadata, order_id=None, fee=None)
    line = "".join(iter_export_csv({}, m.compute_summary([]), [], [row])).split("\r\ntimeline,timestamp,")[1]
    line = line.split("\r\n", 1)[1]
    buffer = io.StringIO()
    cells = [
        "timeline",
        "2025-01-01T00:00:03Z",
        "s0",
        "strat-1",
        "fill",
        "",
        neutralise_text(symbol),
        "sell",
        "1",
        "12.5",
        "",
        "-12.5",
        neutralise_text(message),
        format_cell(metadata) if metadata else "",
    ]
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    assert line == buffer.getvalue()
