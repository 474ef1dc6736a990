"""RealtimeHub keeps a per-topic index of subscribers: publish reaches exactly the topic's audience."""

from __future__ import annotations

from deltaplane.realtime.hub import RealtimeHub


def _drain(sub) -> list[dict]:  # type: ignore[no-untyped-def]
    out = []
    while not sub.queue.empty():
        out.append(sub.queue.get_nowait())
    return out


async def test_publish_reaches_subscribers_of_the_topic_only() -> None:
    hub = RealtimeHub()
    a, b, c = hub.connect("a"), hub.connect("b"), hub.connect("c")
    await hub.subscribe(a, "runtime:1")
    await hub.subscribe(b, "runtime:2")
    await hub.subscribe(c, "runtime:1")
    await hub.subscribe(c, "orders")
    for s in (a, b, c):
        _drain(s)
    hub.publish("runtime:1", {"x": 1})
    hub.publish("orders", {"y": 2})
    assert [m["data"] for m in _drain(a)] == [{"x": 1}]
    assert _drain(b) == []
    assert [m["data"] for m in _drain(c)] == [{"x": 1}, {"y": 2}]
    assert hub.has_subscribers("runtime:1") and not hub.has_subscribers("logs")


async def test_unsubscribe_and_disconnect_leave_the_index() -> None:
    hub = RealtimeHub()
    a, b = hub.connect("a"), hub.connect("b")
    await hub.subscribe(a, "logs")
    await hub.subscribe(b, "logs")
    hub.unsubscribe(a, "logs")
    assert hub.has_subscribers("logs")
    hub.disconnect(b)
    assert not hub.has_subscribers("logs") and hub.connection_count == 1
    _drain(a)
    _drain(b)
    hub.publish("logs", {"message": "nobody listens"})
    assert _drain(a) == [] and _drain(b) == []
    await hub.subscribe(a, "logs")  # re-subscribing after leaving works
    _drain(a)
    hub.publish("logs", {"message": "again"})
    assert [m["data"]["message"] for m in _drain(a)] == ["again"]
