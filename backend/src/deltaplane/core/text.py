"""Rules for text people type into names and number fields (pure).

Names (strategies, API keys) are shown in lists, alerts and logs, and picked by eye, so:
- they are stored Unicode-normalised (NFC) and stripped, so "é" typed as one code point or as
  "e" + a combining accent is one name;
- two names clash when they are equal ignoring case (full Unicode case folding, not SQLite's
  ASCII-only lower());
- control characters (category Cc: NUL, ESC, newlines...), format characters (Cf: zero-width
  spaces, bidi overrides that reorder what is displayed, joiners), line/paragraph separators and
  lone surrogates are refused: they hide or forge what a name shows, and a terminal escape in a
  name would reach every log line and alert that quotes it.

Numbers typed as text: Python's Decimal reads "1_000", " 1 " and Arabic-Indic digits; a money or
percentage field takes only plain ASCII decimal notation, so what is stored is what was meant.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

# Cc control, Cf format (zero-width, bidi), Cs lone surrogate, Zl/Zp line and paragraph separators
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})

# optional sign, digits with an optional point (".5" and "5." as Decimal reads them), optional
# exponent ("1E-8" is how a Decimal prints itself, so a saved value must read back)
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def normalize_name(value: str) -> str:
    """The form a name is stored in: NFC, surrounding whitespace stripped."""
    return unicodedata.normalize("NFC", value).strip()


def name_key(value: str) -> str:
    """What two names are compared by: equal keys are the same name (Unicode caseless match)."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", normalize_name(value)).casefold())


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def name_problem(value: str, *, max_length: int) -> str | None:
    """Why `value` cannot be a name (judged in its normalised form), or None when it can."""
    name = normalize_name(value)
    if not name:
        return "must not be empty"
    bad = sorted({ch for ch in name if _invisible(ch)})
    if bad:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in bad[:5])
        return f"must not contain control or invisible characters (found {shown})"
    if len(name) > max_length:
        return f"must be at most {max_length} characters"
    return None


def copy_name(name: str, taken: Container[str], *, max_length: int) -> str:
    """A name for a copy of `name`: "<name> (copy)", then "<name> (copy) 2", 3... the first whose
    `name_key` is not in `taken`, with `name` cut short so the result fits in `max_length`.

    Characters `name_problem` refuses are dropped (a name saved before the rule existed must not
    pass them on to its copies).
    """
    if max_length < 20:
        raise ValueError(f"max_length {max_length} leaves no room for a ' (copy) N' suffix")
    base = normalize_name("".join(ch for ch in name if not _invisible(ch)))
    n = 1
    while True:
        suffix = " (copy)" if n == 1 else f" (copy) {n}"
        head = base[: max(0, max_length - len(suffix))].rstrip()
        candidate = normalize_name(head + suffix)
        if len(candidate) <= max_length and name_key(candidate) not in taken:
            return candidate
        n += 1


def _quoted(text: str, limit: int = 40) -> str:
    """`text` for an error message, cut short: the message must not echo a megabyte back."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


def plain_decimal_problem(text: str) -> str | None:
    """Why `text` is not a plain decimal number (e.g. "1000", "0.05", "-2.5", "1E-8"), or None."""
    if _PLAIN_DECIMAL.fullmatch(text):
        return None
    if "_" in text:
        return f"must be a plain number without underscores (write 1000, not 1_000), got {_quoted(text)}"
    return f"must be a plain decimal number using the digits 0-9, like 1000 or 0.05, got {_quoted(text)}"
