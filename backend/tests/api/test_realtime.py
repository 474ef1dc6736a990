"""WebSocket: ticket auth, topics, resume, filters, heartbeats."""

from __future__ import annotations

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from deltaplane.app import create_app
from deltaplane.realtime.hub import RealtimeHub
from tests.conftest import ADMIN_PASSWORD, make_settings


def _ticket(client: TestClient) -> str:
    token = client.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}).json()["access_token"]
    r = client.post("/api/auth/ws-ticket", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201
    return r.json()["ticket"]


def test_socket_without_or_with_used_ticket_is_closed_4001(tmp_path) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app=app) as client:
        with client.websocket_connect("/api/ws") as ws:
            with pytest.raises(WebSocketDisconnect) as exc:
                ws.receive_json()
            assert exc.value.code == 4001
        ticket = _ticket(client)
        with client.websocket_connect(f"/api/ws?ticket={ticket}") as ws:
            assert ws.receive_json()["type"] == "welcome"
        with client.websocket_connect(f"/api/ws?ticket={ticket}") as ws:  # single use
            with pytest.raises(WebSocketDisconnect) as exc:
                ws.receive_json()
            assert exc.value.code == 4001


def test_foreign_origin_is_refused(tmp_path) -> None:
    app = create_app(make_settings(tmp_path))
    with TestClient(app=app) as client:
        ticket = _ticket(client)
        with client.websocket_connect(f"/api/ws?ticket={ticket}", headers={"Origin": "https://evil.example"}) as ws:
            with pytest.raises(WebSocketDisconnect) as exc:
                ws.receive_json()
            assert exc.value.code == 4003


def test_subscribe_publish_filter_and_resume(tmp_path) -> None:
    app = create_app(make_settings(tmp_path))
    hub: RealtimeHub = app.state.services.extras["hub"]
    hub.register_filter("logs", lambda row, f: row.get("level") == f.get("level"))
    with TestClient(app=app) as client:
        with client.websocket_connect(f"/api/ws?ticket={_ticket(client)}") as ws:
            assert ws.receive_json()["type"] == "welcome"
            ws.send_json({"type": "subscribe", "topic": "logs", "filter": {"level": "ERROR"}})
            assert ws.receive_json() == {"type": "subscribed", "topic": "logs", "seq": 0}
            ws.send_json({"type": "subscribe", "topic": "nonsense"})
            err = ws.receive_json()
            assert err["type"] == "error" and err["field"] == "topic"
            ws.send_json({"type": "ping"})
            assert ws.receive_json()["type"] == "pong"  # also proves the subscription has been processed
            client.blocking_portal.call(_publish, hub, "logs", {"level": "INFO", "message": "skip me"})
            client.blocking_portal.call(_publish, hub, "logs", {"level": "ERROR", "message": "boom"})
            event = ws.receive_json()
            assert event["type"] == "event" and event["seq"] == 2 and event["data"]["message"] == "boom"
        # Reconnect and resume after seq 0: the buffered matching message is replayed.
        with client.websocket_connect(f"/api/ws?ticket={_ticket(client)}") as ws:
            ws.receive_json()
            ws.send_json({"type": "subscribe", "topic": "logs", "filter": {"level": "ERROR"}, "resume_after": 0})
            assert ws.receive_json()["type"] == "subscribed"
            replay = ws.receive_json()
            assert replay["seq"] == 2 and replay["data"]["message"] == "boom"


async def _publish(hub: RealtimeHub, topic: str, data: dict) -> None:
    hub.publish(topic, data)


async def test_resume_beyond_buffer_asks_for_resync() -> None:
    hub = RealtimeHub(buffer_size=2)
    for i in range(5):
        hub.publish("alerts", {"i": i})
    sub = hub.connect("u")
    await hub.subscribe(sub, "alerts", None, resume_after=1)
    assert sub.queue.get_nowait()["type"] == "subscribed"
    assert sub.queue.get_nowait() == {"type": "resync", "topic": "alerts", "seq": 5}


async def test_slow_subscriber_never_blocks_publishers() -> None:
    hub = RealtimeHub(queue_size=3)
    sub = hub.connect("slow")
    await hub.subscribe(sub, "orders")
    for i in range(10):
        hub.publish("orders", {"i": i})
    assert sub.dropped > 0 and sub.queue.qsize() == 3
