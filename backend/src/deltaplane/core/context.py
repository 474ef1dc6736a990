"""Per-task context carried into every log line (correlation, request, strategy, session, user)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
strategy_id_var: ContextVar[str | None] = ContextVar("strategy_id", default=None)
session_id_var: ContextVar[str | None] = ContextVar("session_id", default=None)
user_var: ContextVar[str | None] = ContextVar("user", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Bind context values (e.g. strategy_id, session_id) for the duration of a block."""
    tokens = []
    for name, value in values.items():
        var = globals()[f"{name}_var"]
        tokens.append((var, var.set(None if value is None else str(value))))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
