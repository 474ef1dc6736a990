"""Shared request-parameter types."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

DB_INT_MAX = 2**63 - 1  # SQLite INTEGER / PostgreSQL BIGINT: larger values would overflow the driver

#: a database row id in a path or query parameter: a 4xx naming the field instead of an overflow
DbId = Annotated[int, Parameter(ge=1, le=DB_INT_MAX)]
OptionalDbId = Annotated[int | None, Parameter(required=False, ge=1, le=DB_INT_MAX, description="row id")]
