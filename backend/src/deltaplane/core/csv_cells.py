"""CSV formula-injection defence shared by every export (sessions, analytics, logs).

A spreadsheet evaluates a cell that starts with = + - @ (and tab/CR variants); some also trim a
leading space or line break first. Such a cell gets a leading ' , which spreadsheets show as
text; a cell that already starts with ' gets one too, so removing exactly one ' restores any cell.
"""

from __future__ import annotations

#: first characters that make a cell need the ' prefix
NEUTRALISE_PREFIXES = frozenset("=+-@\t\r\n '")


def neutralise_text(text: str) -> str:
    """`text` as a cell no spreadsheet evaluates, exactly reversible by dropping one leading '."""
    if text and text[0] in NEUTRALISE_PREFIXES:
        return "'" + text
    return text
