"""Running money of sessions not yet booked: credit, debit and fees from their legs.

Revision ID: 0007_open_session_money
Revises: 0006_logs_fts_detail_none
Create Date: 2026-11-29

The engine used to write a session's `debit` and `fees` only when it closed it (and `credit` once
the entry completed), so a session still entering, open, exiting or in error showed fees 0 while
its legs and fills had paid them. The engine now keeps those three columns equal to the sums of the
session's legs after every fill (`strategy.engine.session_money`); this brings the sessions left
unbooked by the previous engine (`closed_at IS NULL`) to the same figures. Booked sessions are not
touched (their ledger is what was booked at close), so the analytics ledger version does not move.
Sums are exact decimals, stored as `DecimalText` stores them. Downgrade keeps the values: the
previous engine overwrites them at close anyway.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0007_open_session_money"
down_revision = "0006_logs_fts_detail_none"
branch_labels = None
depends_on = None


def _dec(value: object) -> Decimal:
    return Decimal(0) if value is None else Decimal(str(value))


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT s.id, s.credit, s.debit, s.fees, l.entry_qty, l.entry_price, l.exit_qty, l.exit_price, "
            "l.contract_value, l.fees FROM trading_sessions s JOIN legs l ON l.session_id = s.id "
            "WHERE s.closed_at IS NULL ORDER BY s.id, l.id"
        )
    ).all()
    current: dict[str, tuple[Decimal, Decimal, Decimal]] = {}
    money: dict[str, list[Decimal]] = {}
    for sid, credit, debit, fees, entry_qty, entry_price, exit_qty, exit_price, cv, leg_fees in rows:
        current[sid] = (_dec(credit), _dec(debit), _dec(fees))
        m = money.setdefault(sid, [Decimal(0), Decimal(0), Decimal(0)])
        m[0] += _dec(entry_price) * _dec(cv) * int(entry_qty)
        m[1] += _dec(exit_price) * _dec(cv) * int(exit_qty)
        m[2] += _dec(leg_fees)
    update = sa.text("UPDATE trading_sessions SET credit = :credit, debit = :debit, fees = :fees WHERE id = :id AND closed_at IS NULL")
    for sid, (credit, debit, fees) in money.items():
        if (credit, debit, fees) != current[sid]:
            conn.execute(update, {"id": sid, "credit": format(credit, "f"), "debit": format(debit, "f"), "fees": format(fees, "f")})


def downgrade() -> None:
    pass
