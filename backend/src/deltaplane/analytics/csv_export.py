"""Streaming analytics CSV export: one file, four sections, constant memory.

Layout (see docs/analytics-csv.md)::

    section,field,value                          <- file header
    metadata,field,value                         <- each section starts with its own header row
    metadata,generated_at,2025-01-31T10:00:00Z
    metrics,field,value
    metrics,net_pnl,-12.5
    daily,date,trade_count,gross_pnl,fees,net_pnl,cumulative_net_pnl
    daily,2025-01-30,2,20,1.5,18.5,18.5
    timeline,timestamp,session_id,strategy_id,entry_type,order_id,symbol,side,quantity,price,fee,realized_pnl,message,metadata
    timeline,2025-01-30T09:15:00Z,s-1,...

The first column always names the section, so a spreadsheet filter on column A separates them.

Formula neutralisation: a *text* cell (anything that came in as a string: names, symbols,
messages, ids) starting with ``=``, ``+``, ``-``, ``@``, tab or CR — or with ``'`` itself, so the
rule can be undone exactly — gets a leading ``'``. Numbers we format ourselves (Decimal, int,
float) are never touched, so a PnL of ``-12.5`` stays a number in the spreadsheet.
"""

from __future__ import annotations

import csv
import io
import typing
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from deltaplane.analytics.metrics import DailyPnl, Summary
from deltaplane.analytics.records import TimelineRow
from deltaplane.core.csv_cells import NEUTRALISE_PREFIXES, neutralise_text

__all__ = [
    "CHUNK_ROWS",
    "DAILY_COLUMNS",
    "FILE_HEADER",
    "SECTIONS",
    "TIMELINE_COLUMNS",
    "build_export_metadata",
    "export_filename",
    "flatten_struct",
    "format_cell",
    "iter_export_csv",
    "metrics_as_dict",
    "neutralise_text",
    "parse_export_csv",
    "summary_from_export",
]

SECTIONS = ("metadata", "metrics", "daily", "timeline")
FILE_HEADER = ("section", "field", "value")
KEY_VALUE_COLUMNS = ("field", "value")
DAILY_COLUMNS = tuple(f.name for f in msgspec.structs.fields(DailyPnl))
TIMELINE_COLUMNS = (
    "timestamp",
    "session_id",
    "strategy_id",
    "entry_type",
    "order_id",
    "symbol",
    "side",
    "quantity",
    "price",
    "fee",
    "realized_pnl",
    "message",
    "metadata",
)
#: rows per yielded chunk: big enough for throughput, small enough to keep memory flat
CHUNK_ROWS = 500
_NEUTRALISE_PREFIXES = NEUTRALISE_PREFIXES  # inlined in the hot paths below
_json_encoder = msgspec.json.Encoder()


def _restore_text(cell: str) -> str:
    return cell[1:] if cell.startswith("'") else cell


def format_cell(value: Any) -> str:
    """A Python value as a CSV cell: numbers verbatim, dates ISO-8601, None empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime | date):
        return _iso(value)
    # structured values (dicts, lists) are JSON text and neutralised like any other text
    return neutralise_text(_json_encoder.encode(value).decode())


def flatten_struct(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted.field, scalar) pairs of a struct; tuple items are addressed by index (``by_underlying.0.key``)."""
    if isinstance(value, msgspec.Struct):
        for field in msgspec.structs.fields(value):
            yield from flatten_struct(getattr(value, field.name), f"{prefix}{field.name}.")
    elif isinstance(value, tuple | list):
        for i, item in enumerate(value):
            yield from flatten_struct(item, f"{prefix}{i}.")
    else:
        yield prefix[:-1], value


def build_export_metadata(
    *,
    generated_at: datetime,
    start: datetime | None,
    end: datetime | None,
    preset: str | None,
    timezone: str,
    strategy_id: str | None,
    trade_count: int,
    open_session_count: int,
    daily_row_count: int,
    timeline_row_count: int,
    app_version: str,
) -> dict[str, Any]:
    """The metadata section in its documented order (row counts come from the caller's queries,
    because the timeline is streamed after the metadata is written)."""
    return {
        "generated_at": generated_at.astimezone(UTC),
        "start": start,
        "end": end,
        "preset": preset,
        "timezone": timezone,
        "strategy_id": strategy_id,
        "trade_count": trade_count,
        "open_session_count": open_session_count,
        "daily_row_count": daily_row_count,
        "timeline_row_count": timeline_row_count,
        "app_version": app_version,
    }


def _text(value: str | None) -> str:
    if not value:
        return ""
    return "'" + value if value[0] in _NEUTRALISE_PREFIXES else value


def _iso(value: datetime | date) -> str:
    # msgspec's C encoder is ~5x faster than isoformat() here; UTC renders as "...Z"
    return _json_encoder.encode(value)[1:-1].decode()


def _quote(cell: str) -> str:
    """csv.QUOTE_MINIMAL for one cell: quote when it holds a comma, a quote or a line break."""
    if "," in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _timeline_line(row: TimelineRow) -> str:
    """One timeline row as a CSV line, byte-identical to what csv.writer would produce.

    Hot path (1M rows): cells are formatted inline and joined in one go; only when the joined
    line shows a comma/quote/line break inside some cell do we fall back to quoting per cell.
    """
    p = _NEUTRALISE_PREFIXES
    q, price, fee, pnl = row.quantity, row.price, row.fee, row.realized_pnl
    sid, stid, oid, sym, side, msg = (
        row.session_id,
        row.strategy_id,
        row.order_id,
        row.symbol,
        row.side,
        row.message,
    )
    cells = [
        "timeline",
        _json_encoder.encode(row.timestamp)[1:-1].decode(),
        ("'" + sid if sid[0] in p else sid) if sid else "",
        ("'" + stid if stid[0] in p else stid) if stid else "",
        _text(row.entry_type),
        ("'" + oid if oid[0] in p else oid) if oid else "",
        ("'" + sym if sym[0] in p else sym) if sym else "",
        ("'" + side if side[0] in p else side) if side else "",
        "" if q is None else str(q),
        "" if price is None else str(price),
        "" if fee is None else str(fee),
        "" if pnl is None else str(pnl),
        ("'" + msg if msg[0] in p else msg) if msg else "",
    ]
    line = ",".join(cells)
    if line.count(",") != 12 or '"' in line or "\n" in line or "\r" in line:
        line = ",".join(map(_quote, cells))
    if row.metadata:
        return f"{line},{_quote(_text(_json_encoder.encode(row.metadata).decode()))}\r\n"
    return line + ",\r\n"


def iter_export_csv(
    metadata: Mapping[str, Any],
    summary: Summary,
    daily: Iterable[DailyPnl],
    timeline: Iterable[TimelineRow],
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[str]:
    """Yield the export as text chunks of about ``chunk_rows`` rows.

    Lazy end to end: ``daily`` and ``timeline`` are pulled one row at a time while the chunk being
    built is the only thing held, so memory stays flat whatever the number of rows.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    batch: list[list[str]] = []

    def flush() -> str:
        writer.writerows(batch)
        batch.clear()
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    batch.append(list(FILE_HEADER))
    batch.append(["metadata", *KEY_VALUE_COLUMNS])
    batch.extend(["metadata", format_cell(key), format_cell(value)] for key, value in metadata.items())
    batch.append(["metrics", *KEY_VALUE_COLUMNS])
    batch.extend(["metrics", name, format_cell(value)] for name, value in flatten_struct(summary))
    batch.append(["daily", *DAILY_COLUMNS])
    for day in daily:
        batch.append(["daily", *(format_cell(getattr(day, c)) for c in DAILY_COLUMNS)])
        if len(batch) >= chunk_rows:
            yield flush()
    batch.append(["timeline", *TIMELINE_COLUMNS])
    yield flush()
    lines: list[str] = []
    for row in timeline:
        lines.append(_timeline_line(row))
        if len(lines) >= chunk_rows:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def export_filename(now: datetime) -> str:
    """``analytics-export-YYYYMMDD-HHMMSS.csv`` in UTC."""
    return f"analytics-export-{now.astimezone(UTC):%Y%m%d-%H%M%S}.csv"


def parse_export_csv(text: str) -> dict[str, list[dict[str, str]]]:
    """Split an export back into ``{section: [row dicts keyed by the section's header]}``.

    Neutralisation is undone (one leading ``'`` removed), so text cells come back as they went in.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(header[:3]) != FILE_HEADER:
        raise ValueError("not an analytics export: missing 'section,field,value' header")
    columns: dict[str, list[str]] = {}
    sections: dict[str, list[dict[str, str]]] = {}
    for row in reader:
        if not row:
            continue
        section, cells = row[0], row[1:]
        if section not in columns:  # first row of a section is its header
            columns[section] = cells
            sections[section] = []
            continue
        sections[section].append(dict(zip(columns[section], map(_restore_text, cells), strict=False)))
    return sections


def metrics_as_dict(rows: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """``field -> value`` for a key/value section (``metadata`` or ``metrics``)."""
    return {row["field"]: row["value"] for row in rows}


def _unflatten(flat: Mapping[str, str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in flat.items():
        node = root
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = None if value == "" else value

    def listify(node: Any) -> Any:
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [listify(node[k]) for k in sorted(node, key=int)]
            return {k: listify(v) for k, v in node.items()}
        return node

    return listify(root)


def summary_from_export(sections: Mapping[str, list[dict[str, str]]]) -> Summary:
    """Rebuild the :class:`Summary` from a parsed export's ``metrics`` section (round-trip checks)."""
    data = _unflatten(metrics_as_dict(sections.get("metrics", [])))
    hints = typing.get_type_hints(Summary)
    for name, hint in hints.items():  # empty breakdowns write no rows
        if typing.get_origin(hint) is tuple and name not in data:
            data[name] = []
    return msgspec.convert(data, Summary, strict=False)
