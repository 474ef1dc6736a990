"""Analytics: pure metric functions, chart series, date ranges and the streaming CSV export.

Nothing here does I/O; the analytics controllers map database rows onto the records in
:mod:`deltaplane.analytics.records` and call :func:`compute_summary`, :func:`compute_history`
and :func:`iter_export_csv`.
"""

from deltaplane.analytics.csv_export import export_filename, iter_export_csv, parse_export_csv
from deltaplane.analytics.metrics import History, Summary, compute_history, compute_summary
from deltaplane.analytics.ranges import PRESETS, RangeError, ResolvedRange, resolve_range
from deltaplane.analytics.records import LegRecord, OpenPosition, TimelineRow, TradeRecord

__all__ = [
    "PRESETS",
    "History",
    "LegRecord",
    "OpenPosition",
    "RangeError",
    "ResolvedRange",
    "Summary",
    "TimelineRow",
    "TradeRecord",
    "compute_history",
    "compute_summary",
    "export_filename",
    "iter_export_csv",
    "parse_export_csv",
    "resolve_range",
]
