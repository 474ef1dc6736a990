"""In-process publish/subscribe hub behind the `/api/ws` WebSocket.

Topics: `runtime:{strategy_id}`, `orders`, `logs` (with a per-subscriber filter), `alerts`,
`exchange` (live exchange health: rate limited, degraded, reconnecting ticker, auth error).
Every message published on a topic gets a per-topic sequence number and is kept in a short
ring buffer, so a client that reconnects can resume from the last sequence it saw; when the
gap is no longer in the buffer the hub says `resync` and the client refetches over HTTP.
A topic family's owner can register a validator: a subscription it refuses (SubscribeError,
naming the field) is never made, so a bad filter fails once, at subscribe, not per message.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec

logger = logging.getLogger("deltaplane.realtime")

TopicFilter = Callable[[dict[str, Any], Any], bool]
SnapshotProvider = Callable[[str], Awaitable[dict[str, Any] | None]]
#: Checks a subscription (topic, filter) before it is made and returns the filter in the form the
#: family's TopicFilter takes (parsed once here, not for every message), or None to keep the dict
#: as sent; raises SubscribeError to refuse it.
SubscribeValidator = Callable[[str, dict[str, Any]], Any]


class SubscribeError(ValueError):
    """A subscription its topic's owner refuses; `field` names what is wrong (`topic`, `filter.q`...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = f"{field}: {message}"


KNOWN_TOPIC_PREFIXES = ("runtime:", "orders", "logs", "alerts", "exchange")
ENCODED = "__encoded__"  # key holding a message's serialised JSON text (never sent itself)
CLOSE = "__close__"  # queue message telling the socket's writer to close it (never sent itself)


def encoded_text(message: dict[str, Any]) -> str:
    """JSON text of a message, serialised once and shared by every subscriber it is sent to."""
    text = message.get(ENCODED)
    if text is None:
        text = msgspec.json.encode({k: v for k, v in message.items() if k != ENCODED}, enc_hook=str).decode()
        message[ENCODED] = text
    return text


def topic_family(topic: str) -> str:
    return topic.split(":", 1)[0]


def is_known_topic(topic: str) -> bool:
    return any(topic == p or (p.endswith(":") and topic.startswith(p) and len(topic) > len(p)) for p in KNOWN_TOPIC_PREFIXES)


@dataclass
class Subscriber:
    id: int
    username: str
    queue: asyncio.Queue[dict[str, Any]]
    topics: dict[str, Any] = field(default_factory=dict)  # topic -> filter (as its validator compiled it)
    dropped: int = 0
    user_id: int | None = None


class RealtimeHub:
    def __init__(self, *, buffer_size: int = 500, queue_size: int = 1000) -> None:
        self.buffer_size = buffer_size
        self.queue_size = queue_size
        self._subscribers: dict[int, Subscriber] = {}
        self._by_topic: dict[str, dict[int, Subscriber]] = {}  # topic -> its subscribers: publish is O(audience)
        self._ids = itertools.count(1)
        self._seq: dict[str, int] = {}
        self._buffers: dict[str, deque[dict[str, Any]]] = {}
        self._filters: dict[str, TopicFilter] = {}
        self._snapshots: dict[str, SnapshotProvider] = {}
        self._validators: dict[str, SubscribeValidator] = {}

    # --- registration by feature areas -------------------------------------------------------
    def register_filter(self, family: str, fn: TopicFilter) -> None:
        self._filters[family] = fn

    def register_validator(self, family: str, fn: SubscribeValidator) -> None:
        self._validators[family] = fn

    def register_snapshot(self, family: str, fn: SnapshotProvider) -> None:
        self._snapshots[family] = fn

    # --- connections ---------------------------------------------------------------------------
    def connect(self, username: str, user_id: int | None = None) -> Subscriber:
        sub = Subscriber(id=next(self._ids), username=username, queue=asyncio.Queue(self.queue_size), user_id=user_id)
        self._subscribers[sub.id] = sub
        return sub

    def close_user(self, user_id: int, reason: str) -> int:
        """End every socket of account `user_id` (disabled, deleted, password changed): it gets no
        further events and its writer closes it with `reason`. Returns how many were closed."""
        subs = [sub for sub in self._subscribers.values() if sub.user_id == user_id]
        for sub in subs:
            self.disconnect(sub)
            # What is still queued was meant for the account as it was: the close goes out first.
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.queue.put_nowait({"type": CLOSE, "reason": reason})
        return len(subs)

    def disconnect(self, sub: Subscriber) -> None:
        self._subscribers.pop(sub.id, None)
        for topic in list(sub.topics):
            self.unsubscribe(sub, topic)

    @property
    def connection_count(self) -> int:
        return len(self._subscribers)

    async def subscribe(self, sub: Subscriber, topic: str, filt: dict[str, Any] | None = None, resume_after: int | None = None) -> None:
        """Subscribe (replaying from `resume_after`, else sending the topic's snapshot).

        Raises SubscribeError, before anything changes, when the topic's validator refuses the
        topic or filter: a filter that cannot be applied is refused here rather than failing on
        every message published later.
        """
        validate = self._validators.get(topic_family(topic))
        compiled = None if validate is None else validate(topic, filt or {})
        sub.topics[topic] = (filt or {}) if compiled is None else compiled
        if sub.id in self._subscribers:  # never index a socket that is already gone
            self._by_topic.setdefault(topic, {})[sub.id] = sub
        current = self._seq.get(topic, 0)
        self._offer(sub, {"type": "subscribed", "topic": topic, "seq": current})
        if resume_after is not None and resume_after < current:
            buffer = self._buffers.get(topic, deque())
            if buffer and buffer[0]["seq"] <= resume_after + 1:
                for message in buffer:
                    if message["seq"] > resume_after and self._matches(sub, topic, message):
                        self._offer(sub, message)
                return
            self._offer(sub, {"type": "resync", "topic": topic, "seq": current})
        provider = self._snapshots.get(topic_family(topic))
        if provider is not None and resume_after is None:
            try:
                snapshot = await provider(topic)
            except Exception:  # a provider bug: the subscription still works, the client refetches
                logger.exception("realtime snapshot failed", extra={"event": "ws_snapshot_failed", "topic": topic})
                self._offer(sub, {"type": "error", "topic": topic, "detail": "snapshot unavailable; load it over HTTP"})
                return
            if snapshot is not None:
                self._offer(sub, {"type": "snapshot", "topic": topic, "seq": current, "data": snapshot})

    def unsubscribe(self, sub: Subscriber, topic: str) -> None:
        sub.topics.pop(topic, None)
        audience = self._by_topic.get(topic)
        if audience is not None:
            audience.pop(sub.id, None)
            if not audience:
                del self._by_topic[topic]

    # --- publishing ------------------------------------------------------------------------------
    def publish(self, topic: str, data: dict[str, Any]) -> int:
        seq = self._seq.get(topic, 0) + 1
        self._seq[topic] = seq
        message = {"type": "event", "topic": topic, "seq": seq, "data": data}
        buffer = self._buffers.setdefault(topic, deque(maxlen=self.buffer_size))
        buffer.append(message)
        audience = self._by_topic.get(topic)
        if audience:
            for sub in list(audience.values()):
                if self._matches(sub, topic, message):
                    self._offer(sub, message)
        return seq

    def has_subscribers(self, topic: str) -> bool:
        return bool(self._by_topic.get(topic))

    def skip(self, topic: str, count: int) -> None:
        """`count` events happened on `topic` that nobody was subscribed to and that were not kept:
        the sequence moves on and the replay buffer is dropped, so a client resuming from before
        the gap is told to resync instead of silently missing them."""
        if count > 0:
            self._seq[topic] = self._seq.get(topic, 0) + count
            self._buffers.pop(topic, None)

    def _matches(self, sub: Subscriber, topic: str, message: dict[str, Any]) -> bool:
        filt = sub.topics.get(topic)
        if filt is None:
            return False
        fn = self._filters.get(topic_family(topic))
        if fn is None or not filt:
            return True
        try:
            return fn(message["data"], filt)
        except Exception:  # a bad filter must not break publishing for everyone
            # Logged once and the subscription ended: a filter failing on every message would log
            # on every message, and on the `logs` topic each such warning is published again.
            logger.warning("realtime filter failed", extra={"event": "ws_filter_failed", "topic": topic}, exc_info=True)
            self.unsubscribe(sub, topic)
            self._offer(sub, {"type": "error", "field": "filter", "topic": topic, "detail": "filter failed; unsubscribed"})
            return False

    def _offer(self, sub: Subscriber, message: dict[str, Any]) -> None:
        try:
            sub.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A slow client loses the oldest message and is told to resync, never blocks publishers.
            sub.dropped += 1
            try:
                sub.queue.get_nowait()
                sub.queue.put_nowait({"type": "resync", "topic": message.get("topic"), "seq": message.get("seq")})
            except (asyncio.QueueEmpty, asyncio.QueueFull):
                pass
