"""Shared result types of the pure rules."""

from __future__ import annotations

import msgspec


class NoTrade(msgspec.Struct, frozen=True, kw_only=True):
    """A rule declined to trade: `code` is stable snake_case (for logs/tests), `message` is for humans."""

    code: str
    message: str
