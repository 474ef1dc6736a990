"""Malformed requests over real HTTP: a 4xx naming what is wrong, never a 500, nothing written.

Each case was a 500, a silent acceptance or a message without a field before request_checks."""

from __future__ import annotations

import pytest

from tests.conftest import login

JSON = {"Content-Type": "application/json"}


async def test_an_id_not_written_as_plain_digits_is_refused_and_touches_nothing(client) -> None:
    h = await login(client)
    sid = (await client.post("/api/strategies", json={"name": "Kept"}, headers=h)).json()["id"]
    for written in (f"{sid}%0A", f"+{sid}", f"0{sid}", "%D9%A1"):  # "1\n", "+1", "01", Arabic-Indic one
        r = await client.delete(f"/api/strategies/{written}", headers=h)
        assert r.status_code == 400, (written, r.text)
        assert r.json()["fields"] == [{"field": "strategy_id", "message": "must be a whole number written with the digits 0-9 only, like 12"}]
    r = await client.get(f"/api/strategies/{sid}", headers=h)
    assert r.status_code == 200 and r.json()["state"] != "archived"
    assert (await client.patch("/api/users/+1", json={}, headers=h)).status_code == 400


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/api/auth/login", b'{"username": "\xff\xfe", "password": "x"}', "body", "must be UTF-8 encoded JSON (byte 14 is not UTF-8)"),
        ("/api/strategies", b'{"name": "x", "quantity": 1e999}', "quantity", "is a number too large to store"),
        ("/api/strategies", b'{"name": "x", "trailing_rules": [{"trigger_pct": "10", "lock_pct": 2e400}]}', "trailing_rules[0].lock_pct", "is a number too large to store"),
        ("/api/users", b'{"username": "ab', "body", "is not valid JSON: it ends early (truncated)"),
    ],
)
async def test_unreadable_bodies_are_400s_naming_the_field(client, path, body, field, message) -> None:
    h = await login(client) if path != "/api/auth/login" else {}
    before = (await client.get("/api/strategies", headers=await login(client))).json()
    r = await client.post(path, content=body, headers={**JSON, **h})
    assert r.status_code == 400, r.text
    assert r.json()["fields"] == [{"field": field, "message": message}]
    assert (await client.get("/api/strategies", headers=await login(client))).json() == before


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/api/users", {"password": "long-enough-pass"}, "username", "is required"),
        ("/api/users", {"username": "user1", "password": "long-enough-pass", "role": "viewer", "bogus": 1}, "bogus", "is not a known field"),
        ("/api/strategies", {"name": "x", "execution": {"bogus": 1}}, "execution.bogus", "is not a known field"),
        ("/api/strategies", {"name": "x", "trailing_rules": [{"trigger_pct": "10"}]}, "trailing_rules[0].lock_pct", "is required"),
    ],
)
async def test_missing_and_unknown_keys_are_named_themselves(client, path, body, field, message) -> None:
    h = await login(client)
    r = await client.post(path, json=body, headers=h)
    assert r.status_code == 422, r.text
    assert {"field": field, "message": message} in r.json()["fields"]
    assert r.json()["detail"].startswith(f"{field}: ")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
async def test_a_json_route_refuses_other_content_types(client, content_type) -> None:
    h = await login(client)
    body = b'{"username": "typed", "password": "long-enough-pass", "role": "viewer"}'
    r = await client.post("/api/users", content=body, headers={"Content-Type": content_type, **h})
    assert r.status_code == 415, r.text
    assert "application/json" in r.json()["detail"] and content_type in r.json()["detail"]
    users = (await client.get("/api/users", headers=h)).json()
    assert all(u["username"] != "typed" for u in users)


async def test_a_username_with_a_trailing_newline_is_refused(client) -> None:
    # the pattern ended in `$`, which also matches before a final newline
    h = await login(client)
    r = await client.post("/api/users", json={"username": "admin2\n", "password": "long-enough-pass", "role": "viewer"}, headers=h)
    assert r.status_code == 422, r.text
    assert r.json()["fields"] == [{"field": "username", "message": "may only contain these characters: A-Za-z0-9_.@-"}]
