"""Commit notifications for in-process caches of database rows.

Code that keeps rows in memory (the runtime view, signed-in users) registers a listener with
`on_commit(fn)`. After every ORM transaction that commits, `fn` gets one `Change` per object that
transaction inserted, updated or deleted: its class and a copy of its loaded attributes, taken at
flush time (so reading them never triggers a lazy load). `fn` runs *after* the COMMIT, so a
reader that starts once it has run sees the new rows. A transaction that rolls back notifies
nobody.

Caches pair this with a generation check (see core/cache.py): a read that was in flight while a
commit landed is not stored, so a stale value can never outlive the commit that changed it.
Only ORM unit-of-work changes are seen; bulk `update()`/`delete()` statements and other processes
are not, which is why every cache also has a short lifetime as a safety net.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger("deltaplane.db")


class Change(NamedTuple):
    model: type
    values: dict[str, Any]  # the object's loaded column/attribute values at flush time


CommitListener = Callable[[list[Change]], None]
_KEY = "deltaplane_changed"
_listeners: list[CommitListener] = []


def on_commit(fn: CommitListener) -> Callable[[], None]:
    """Register `fn`; returns the function that unregisters it."""
    _listeners.append(fn)

    def remove() -> None:
        if fn in _listeners:
            _listeners.remove(fn)

    return remove


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context: Any) -> None:
    if not _listeners:
        return
    changed = session.info.setdefault(_KEY, [])
    for group in (session.new, session.dirty, session.deleted):
        changed.extend(Change(type(obj), dict(obj.__dict__)) for obj in group)


@event.listens_for(Session, "after_commit")
def _dispatch(session: Session) -> None:
    changed = session.info.pop(_KEY, None)
    if not changed:
        return
    for fn in list(_listeners):
        try:
            fn(changed)
        except Exception:  # a cache must never break a commit that already happened
            logger.exception("commit listener failed", extra={"event": "commit_listener_failed"})


@event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_KEY, None)
