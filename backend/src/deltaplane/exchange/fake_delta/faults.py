"""Fault injection for the fake Delta server, queued by tests and consumed by matching requests."""

from __future__ import annotations

from typing import Any

import msgspec

FAULT_KINDS = {
    "rate_limit",  # 429 + X-RATE-LIMIT-RESET (param reset_ms)
    "server_error",  # 5xx before processing (param status)
    "server_error_after",  # processed, then 5xx: the order exists but the client hears an error
    "delay",  # answer after `seconds` (slow response / client timeout), before processing
    "lost_response",  # processed, then no answer for `seconds`: "accepted but response lost"
    "expired_signature",  # 401 {"success":false,"error":{"code":"expired_signature","context":{...}}}
    "expired_signature_string",  # 401 {"success":false,"error":"SignatureExpired","message":...}
    "reject",  # 400 order rejection (param code, default insufficient_margin)
    "partial_fill",  # the order fills at most `size` contracts now
}


class Fault(msgspec.Struct, kw_only=True):
    kind: str
    match: str = ""  # "METHOD /path-prefix" or "/path-prefix"; empty matches everything
    count: int = 1
    params: dict[str, Any] = {}

    def matches(self, method: str, path: str) -> bool:
        if not self.match:
            return True
        if " " in self.match:
            want_method, prefix = self.match.split(" ", 1)
            return method == want_method.upper() and path.startswith(prefix)
        return path.startswith(self.match)


class Faults:
    def __init__(self) -> None:
        self.pending: list[Fault] = []
        self.fired: list[tuple[str, str, str]] = []  # (kind, method, path)

    def queue(self, kind: str, *, match: str = "", count: int = 1, **params: Any) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {sorted(FAULT_KINDS)}")
        fault = Fault(kind=kind, match=match, count=count, params=params)
        self.pending.append(fault)
        return fault

    def clear(self) -> None:
        self.pending.clear()

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self.pending:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.pending.remove(fault)
                self.fired.append((fault.kind, method, path))
                return fault
        return None
