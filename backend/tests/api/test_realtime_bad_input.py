"""WebSocket bad input: an error frame naming what is wrong (or a proper close), never a silent drop."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from litestar.exceptions import WebSocketDisconnect
from litestar.testing import TestClient

from deltaplane.app import create_app
from deltaplane.realtime import controllers
from deltaplane.realtime.hub import RealtimeHub
from tests.api.test_realtime import _ticket
from tests.conftest import make_settings

# Only a guard against hanging forever if the server stops answering: never a timing assertion.
GUARD_S = 30.0


@pytest.fixture
def app(tmp_path):  # type: ignore[no-untyped-def]
    return create_app(make_settings(tmp_path))


def _recv(ws: Any) -> dict[str, Any]:
    return ws.receive_json(timeout=GUARD_S)


def _connect(client: TestClient) -> Any:
    return client.websocket_connect(f"/api/ws?ticket={_ticket(client)}")


def _assert_still_usable(ws: Any) -> None:
    ws.send_json({"type": "ping"})
    assert _recv(ws)["type"] == "pong"


async def _publish(hub: RealtimeHub, topic: str, data: dict) -> None:
    hub.publish(topic, data)


@pytest.mark.parametrize(
    "topic",
    ["runtime:999999999999999999999999999999", "runtime:9223372036854775808", "runtime:0", "runtime:-1",
     "runtime:abc", "runtime:01", "runtime:" + "9" * 5000, "runtime:\u0661"],  # 5000 digits: past int()'s limit
)  # fmt: skip
def test_subscribe_to_an_impossible_runtime_topic_answers_an_error(app, topic) -> None:
    hub: RealtimeHub = app.state.services.extras["hub"]
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        ws.send_json({"type": "subscribe", "topic": topic})
        err = _recv(ws)
        assert err["type"] == "error" and err["field"] == "topic" and err["topic"] == topic and topic in err["detail"]
        _assert_still_usable(ws)
        assert not hub.has_subscribers(topic)
        ws.send_json({"type": "subscribe", "topic": "runtime:9223372036854775807"})  # a possible id nobody has
        assert _recv(ws) == {"type": "subscribed", "topic": "runtime:9223372036854775807", "seq": 0}
        _assert_still_usable(ws)


def test_deeply_nested_frame_answers_an_error_and_is_logged(app, caplog) -> None:
    caplog.set_level(logging.INFO, logger="deltaplane.realtime")
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        ws.send_text("[" * 100_000 + "]" * 100_000)
        err = _recv(ws)
        assert err["type"] == "error" and "nested" in err["detail"]
        _assert_still_usable(ws)
    assert any(getattr(r, "event", None) == "ws_bad_message" for r in caplog.records)


def test_unexpected_reader_failure_is_logged_and_closes_with_1011(app, caplog, monkeypatch) -> None:
    async def broken(*_: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(controllers, "handle_client_message", broken)
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        ws.send_json({"type": "ping"})
        with pytest.raises(WebSocketDisconnect) as exc:
            while True:
                _recv(ws)
        assert exc.value.code == 1011
    failures = [r for r in caplog.records if getattr(r, "event", None) == "ws_failed"]
    assert len(failures) == 1 and failures[0].levelno == logging.ERROR and failures[0].task == "ws_reader"
    assert failures[0].exc_info is not None and "a bug" in str(failures[0].exc_info[1])


def test_failing_snapshot_provider_answers_an_error_and_keeps_the_socket(app, caplog) -> None:
    hub: RealtimeHub = app.state.services.extras["hub"]

    async def broken(topic: str) -> None:
        raise OverflowError("a bug")

    hub.register_snapshot("alerts", broken)
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        ws.send_json({"type": "subscribe", "topic": "alerts"})
        assert _recv(ws)["type"] == "subscribed"
        err = _recv(ws)
        assert err["type"] == "error" and err["topic"] == "alerts"
        _assert_still_usable(ws)
    assert any(getattr(r, "event", None) == "ws_snapshot_failed" for r in caplog.records)


@pytest.mark.parametrize(
    ("filt", "field"),
    [
        ({"min_level": "bogus"}, "filter.min_level"),
        ({"level": 5, "q": ["x"]}, "filter.level"),
        ({"q": ["x"]}, "filter.q"),
        ({"level": ["ERROR", "abc"]}, "filter.level"),
        ({"level": [5]}, "filter.level"),
        ({"start": "yesterday"}, "filter.start"),
        ({"start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, "filter.end"),
        ({"q": "x" * 501}, "filter.q"),
        ({"cursor": "abc"}, "filter.cursor"),  # GET /api/logs has it, a live tail has no pages
        ({"levle": "ERROR"}, "filter.levle"),  # a typo must not silently widen the tail to everything
    ],
)
def test_invalid_logs_filter_is_refused_at_subscribe(app, caplog, filt, field) -> None:
    hub: RealtimeHub = app.state.services.extras["hub"]
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        ws.send_json({"type": "subscribe", "topic": "logs", "filter": filt})
        err = _recv(ws)
        assert err["type"] == "error" and err["topic"] == "logs" and err["field"] == field, err
        assert field in err["detail"]
        _assert_still_usable(ws)
        assert not hub.has_subscribers("logs")  # never subscribed with a filter that cannot work
        client.blocking_portal.call(_publish, hub, "logs", {"id": 1, "level": "INFO", "message": "m", "timestamp": "2026-01-01T00:00:00.000000Z"})
        _assert_still_usable(ws)  # nothing was queued for us
    assert not [r for r in caplog.records if getattr(r, "event", None) == "ws_filter_failed"]


def test_logs_filter_start_and_end_mean_what_they_mean_over_http(app) -> None:
    hub: RealtimeHub = app.state.services.extras["hub"]
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        filt = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z", "level": "WARN", "min_level": "INFO"}
        ws.send_json({"type": "subscribe", "topic": "logs", "filter": filt})
        assert _recv(ws)["type"] == "subscribed"
        for i, ts in enumerate(["2025-12-31T23:59:59.999999Z", "2026-01-01T00:00:00.000000Z", "2026-01-02T00:00:00.000000Z"]):
            client.blocking_portal.call(_publish, hub, "logs", {"id": i, "level": "WARNING", "message": f"m{i}", "timestamp": ts})
        event = _recv(ws)
        assert event["type"] == "event" and event["data"]["message"] == "m1"  # start inclusive, end exclusive
        _assert_still_usable(ws)  # and nothing else was queued before the pong


def test_valid_logs_filter_with_level_list_and_null_values_subscribes(app) -> None:
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        ws.send_json({"type": "subscribe", "topic": "logs", "filter": {"level": ["ERROR", "warn"], "q": None, "logger_contains": "x"}})
        assert _recv(ws)["type"] == "subscribed"


def test_a_filter_that_fails_is_reported_once_and_ends_that_subscription(app, caplog) -> None:
    # Defence in depth behind subscribe-time validation: a filter raising on every message must not
    # log on every message (on the `logs` topic each warning would be published and fail again).
    hub: RealtimeHub = app.state.services.extras["hub"]

    def broken(row: dict, filt: dict) -> bool:
        raise KeyError("a bug")

    hub.register_filter("alerts", broken)
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        ws.send_json({"type": "subscribe", "topic": "alerts", "filter": {"kind": "x"}})
        assert _recv(ws)["type"] == "subscribed"
        _assert_still_usable(ws)  # the subscription is in place before anything is published
        for i in range(3):
            client.blocking_portal.call(_publish, hub, "alerts", {"i": i})
        err = _recv(ws)
        assert err["type"] == "error" and err["topic"] == "alerts" and err["field"] == "filter"
        _assert_still_usable(ws)  # no second error, no event queued before the pong
        assert not hub.has_subscribers("alerts")
    assert len([r for r in caplog.records if getattr(r, "event", None) == "ws_filter_failed"]) == 1


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "subscribe", "topic": "orders", "filter": []}, "filter"),
        ({"type": "subscribe", "topic": "orders", "filter": "x"}, "filter"),
        ({"type": "subscribe", "topic": "orders", "resume_after": True}, "resume_after"),
        ({"type": "subscribe", "topic": "orders", "resume_after": "3"}, "resume_after"),
        ({"type": "unsubscribe", "topic": 5}, "topic"),
    ],
)
def test_malformed_subscribe_and_unsubscribe_name_the_field(app, message, field) -> None:
    hub: RealtimeHub = app.state.services.extras["hub"]
    with TestClient(app=app) as client, _connect(client) as ws:
        assert _recv(ws)["type"] == "welcome"
        ws.send_json(message)
        err = _recv(ws)
        assert err["type"] == "error" and err["field"] == field, err
        _assert_still_usable(ws)
        assert not hub.has_subscribers("orders")
