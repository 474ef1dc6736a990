"""Where the paper account survives restarts: a snapshot dict per account."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from deltaplane.db.base import Base, utcnow


class PaperExchangeState(Base):
    __tablename__ = "paper_exchange_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    state_json: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow,
                                                 nullable=False)


class PaperStateStore(Protocol):
    async def load(self) -> dict[str, Any] | None: ...

    async def save(self, snapshot: dict[str, Any]) -> None: ...


class InMemoryPaperStateStore:
    """Keeps the JSON text (not the dict) so a load really round-trips through serialization."""

    def __init__(self) -> None:
        self.text: str | None = None
        self.saves = 0

    async def load(self) -> dict[str, Any] | None:
        return None if self.text is None else json.loads(self.text)

    async def save(self, snapshot: dict[str, Any]) -> None:
        self.text = json.dumps(snapshot, separators=(",", ":"))
        self.saves += 1


class SqlPaperStateStore:
    """One row per account in `paper_exchange_state`; each save is one short write transaction."""

    def __init__(self, session_maker: async_sessionmaker[AsyncSession], account: str = "paper"):
        self.session_maker = session_maker
        self.account = account

    async def load(self) -> dict[str, Any] | None:
        async with self.session_maker() as session:
            row = await session.scalar(select(PaperExchangeState).where(PaperExchangeState.account == self.account))
            return None if row is None else json.loads(row.state_json)

    async def save(self, snapshot: dict[str, Any]) -> None:
        text = json.dumps(snapshot, separators=(",", ":"))
        async with self.session_maker() as session, session.begin():
            row = await session.scalar(select(PaperExchangeState).where(PaperExchangeState.account == self.account))
            if row is None:
                session.add(PaperExchangeState(account=self.account, state_json=text, updated_at=utcnow()))
            else:
                row.state_json = text
                row.updated_at = utcnow()
