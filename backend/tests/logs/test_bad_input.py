"""Bad input to the logs HTTP API: always a 4xx naming the field, never a 500, nothing half-stored."""

from __future__ import annotations

import base64

import msgspec
import pytest

from deltaplane.app import create_app
from tests.conftest import ADMIN_PASSWORD, in_loop_client, make_settings


@pytest.fixture
async def client(tmp_path):
    app = create_app(make_settings(tmp_path))
    async with in_loop_client(app) as c:
        r = await c.post("/api/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield c


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(value)).decode().rstrip("=")


def _fields(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [f["field"] for f in response.json().get("fields", [])]


@pytest.mark.parametrize(
    "value",
    [
        ["2026-01-01T00:00:00+00:00", 2**70],  # id beyond SQLite's INTEGER
        ["2026-01-01T00:00:00+00:00", 2**63],
        ["2026-01-01T00:00:00+00:00", -1],  # ids start at 1
        ["2026-01-01T00:00:00+00:00", 0],
        ["0001-01-01T00:00:00+05:00", 1],  # before year 1 once converted to UTC
        ["9999-12-31T23:59:59-05:00", 1],  # after year 9999 once converted to UTC
    ],
)
async def test_forged_cursor_is_rejected_naming_cursor(client, value):
    r = await client.get("/api/logs", params={"cursor": _cursor(value)})
    assert r.status_code == 422, r.text
    assert _fields(r) == ["cursor"] and "cursor" in r.json()["detail"]


async def test_cursor_at_the_id_limit_is_accepted(client):
    r = await client.get("/api/logs", params={"cursor": _cursor(["2026-01-01T00:00:00+00:00", 2**63 - 1])})
    assert r.status_code == 200, r.text


async def test_unknown_level_is_rejected_listing_the_accepted_values(client):
    r = await client.get("/api/logs", params={"level": ["ERROR", "abc"]})
    assert r.status_code == 422, r.text
    assert _fields(r) == ["level"]
    detail = r.json()["detail"]
    assert "abc" in detail and all(name in detail for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "RAW"))
    for path in ("/api/logs/summary", "/api/logs/export"):  # the same dependency parses every endpoint's filter
        r = await client.get(path, params={"level": "abc"})
        assert r.status_code == 422 and _fields(r) == ["level"], (path, r.text)


async def test_level_aliases_still_work(client):
    r = await client.post("/api/logs/batch", json={"entries": [{"level": "warn", "message": "alias", "logger": "aliases"}]})
    assert r.status_code == 202, r.text
    for level in ("WARN", "warning", "WARN,ERROR", "RAW"):
        r = await client.get("/api/logs", params={"level": level, "logger": "frontend.aliases"})
        assert r.status_code == 200, (level, r.text)
    r = await client.get("/api/logs", params={"level": "WARN", "logger": "frontend.aliases"})
    assert [i["message"] for i in r.json()["items"]] == ["alias"]


async def _stored(client, logger: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return (await client.get("/api/logs", params={"logger": f"frontend.{logger}"})).json()["items"]


@pytest.mark.parametrize("name", ["strategy_id", "session_id", "correlation_id", "request_id", "logger", "event"])
async def test_batch_rejects_booleans_for_text_fields(client, name):
    entries = [{"message": "ok", "logger": "bools"}, {"message": "x", "logger": "bools", name: True}]
    r = await client.post("/api/logs/batch", json={"entries": entries})
    assert r.status_code == 422, r.text
    assert _fields(r) == [f"entries[1].{name}"]
    assert await _stored(client, "bools") == []  # the valid first entry was not stored either


async def test_batch_integer_ids_are_kept_as_text(client):
    r = await client.post("/api/logs/batch", json={"entries": [{"message": "x", "logger": "ints", "strategy_id": 42}]})
    assert r.status_code == 202, r.text
    assert [i["strategy_id"] for i in await _stored(client, "ints")] == ["42"]


async def test_batch_too_big_integer_names_the_field(client):
    body = b'{"entries":[{"message":"x","logger":"big"},{"message":"x","logger":"big","strategy_id":123456789012345678901234567890}]}'
    r = await client.post("/api/logs/batch", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert _fields(r) == ["entries[1].strategy_id"] and "range" in r.json()["detail"]
    assert await _stored(client, "big") == []


async def test_batch_number_out_of_json_range_names_the_field(client):
    # msgspec does not name the keys of a free-form object, so the entry is what gets named
    for body, field in (
        (b'{"entries":[{"message":"x","logger":"huge"},{"message":"x","logger":"huge","context":{"n":[1e400]}}]}', "entries[1]"),
        (b'[{"message":"x","logger":"huge","n":-1e999}]', "entries[0]"),
        (b'{"entries":1e400}', "entries"),
    ):
        r = await client.post("/api/logs/batch", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 422, r.text
        assert _fields(r) == [field] and "number out of range" in r.json()["detail"]
    assert await _stored(client, "huge") == []
    r = await client.post("/api/logs/batch", content=b'"entries"', headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and _fields(r) == ["body"], r.text


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"message": "a\u0000b"}, "message"),
        ({"message": "bell\u0007"}, "message"),
        ({"message": "x", "event": "e\u001b[31m"}, "event"),
        ({"message": "x", "correlation_id": "c\u0000"}, "correlation_id"),
        ({"message": "x", "logger": "ctl\u0000"}, "logger"),
    ],
)
async def test_batch_rejects_control_characters_in_stored_text(client, entry, field):
    entries = [{"message": "fine", "logger": "ctl"}, {"logger": "ctl", **entry}]
    r = await client.post("/api/logs/batch", json={"entries": entries})
    assert r.status_code == 422, r.text
    assert _fields(r) == [f"entries[1].{field}"] and "control character" in r.json()["detail"]
    assert await _stored(client, "ctl") == []


async def test_batch_keeps_tabs_and_newlines(client):
    message = "Traceback:\n\tline 1\r\n"
    r = await client.post("/api/logs/batch", json={"entries": [{"message": message, "logger": "multiline"}]})
    assert r.status_code == 202, r.text
    assert [i["message"] for i in await _stored(client, "multiline")] == [message]
