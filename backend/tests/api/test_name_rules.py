"""Strategy and API-key names over HTTP: one name rule (core.text) for both. Names are stored
NFC-normalised and stripped, clash case-insensitively across Unicode, refuse control and invisible
characters, and a clone always gets a free name that fits."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.conftest import login, make_viewer


def _fields(response: Any) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json().get("fields", [])}


async def _names(client: AsyncTestClient, headers: dict[str, str]) -> list[str]:
    r = await client.get("/api/strategies", headers=headers)
    assert r.status_code == 200
    return [s["name"] for s in r.json()]


async def test_cloning_a_full_length_name_gives_distinct_names_that_fit(client: AsyncTestClient) -> None:
    # The audit: the clone checked "<100 C> (copy)" was free but saved its first 100 characters,
    # so two clones and the original all had the same name.
    admin = await login(client)
    r = await client.post("/api/strategies", json={"name": "C" * 100}, headers=admin)
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    clones = []
    for _ in range(3):
        c = await client.post(f"/api/strategies/{sid}/clone", headers=admin)
        assert c.status_code == 201, c.text
        clones.append(c.json())
    names = await _names(client, admin)
    assert len(names) == 4 and len({n.casefold() for n in names}) == 4
    assert all(len(n) <= 100 for n in names)
    assert [c["name"] for c in clones] == ["C" * 93 + " (copy)", "C" * 91 + " (copy) 2", "C" * 91 + " (copy) 3"]
    assert all(c["config"]["name"] == c["name"] for c in clones)  # the snapshot agrees with the row


async def test_clone_names_skip_names_taken_in_another_case(client: AsyncTestClient) -> None:
    admin = await login(client)
    sid = (await client.post("/api/strategies", json={"name": "Été"}, headers=admin)).json()["id"]
    assert (await client.post("/api/strategies", json={"name": "ÉTÉ (COPY)"}, headers=admin)).status_code == 201
    c = await client.post(f"/api/strategies/{sid}/clone", headers=admin)
    assert c.status_code == 201 and c.json()["name"] == "Été (copy) 2"


async def test_names_clash_across_case_and_unicode_composition(client: AsyncTestClient) -> None:
    admin = await login(client)
    assert (await client.post("/api/strategies", json={"name": "ÉTÉ"}, headers=admin)).status_code == 201
    for spelling in ["été", "e\u0301te\u0301", "E\u0301TE\u0301", "  Été  "]:
        r = await client.post("/api/strategies", json={"name": spelling}, headers=admin)
        assert r.status_code == 409, (spelling, r.text)
        assert _fields(r) == {"name": "already exists"}
    assert await _names(client, admin) == ["ÉTÉ"]


async def test_names_are_stored_normalised(client: AsyncTestClient) -> None:
    admin = await login(client)
    r = await client.post("/api/strategies", json={"name": "  Cafe\u0301 strangle  "}, headers=admin)
    assert r.status_code == 201
    assert r.json()["name"] == r.json()["config"]["name"] == "Caf\u00e9 strangle"
    versions = (await client.get(f"/api/strategies/{r.json()['id']}/versions", headers=admin)).json()
    assert versions[0]["config"]["name"] == "Caf\u00e9 strangle"


async def test_renaming_checks_the_same_rule(client: AsyncTestClient) -> None:
    admin = await login(client)
    a = (await client.post("/api/strategies", json={"name": "été"}, headers=admin)).json()
    b = (await client.post("/api/strategies", json={"name": "hiver"}, headers=admin)).json()
    clash = await client.put(f"/api/strategies/{b['id']}", json={**b["config"], "name": "E\u0301TE\u0301"}, headers=admin)
    assert clash.status_code == 409 and _fields(clash) == {"name": "already exists"}
    # a strategy may change the case of its own name
    own = await client.put(f"/api/strategies/{a['id']}", json={**a["config"], "name": "E\u0301te\u0301"}, headers=admin)
    assert own.status_code == 200 and own.json()["strategy"]["name"] == "\u00c9t\u00e9"
    bad = await client.put(f"/api/strategies/{b['id']}", json={**b["config"], "name": "hi\u200bver"}, headers=admin)
    assert bad.status_code == 422 and "name" in _fields(bad)
    assert sorted(await _names(client, admin)) == sorted(["\u00c9t\u00e9", "hiver"])


BAD_NAMES = ["a\u0000b\u0007\u001b[31m", "\u0001\u0002", "line1\nline2", "\u200b", "pay\u202eusd", "\ufeff", " \u2028 "]


@pytest.mark.parametrize("name", BAD_NAMES)
async def test_control_and_invisible_characters_in_a_strategy_name_are_a_422(client: AsyncTestClient, name: str) -> None:
    admin = await login(client)
    for path in ("/api/strategies", "/api/strategies/preview"):
        r = await client.post(path, json={"name": name}, headers=admin)
        assert r.status_code == 422, (path, r.text)
        assert set(_fields(r)) == {"name"}
    assert await _names(client, admin) == []


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
async def test_an_empty_strategy_name_is_a_422(client: AsyncTestClient, name: str) -> None:
    admin = await login(client)
    r = await client.post("/api/strategies", json={"name": name}, headers=admin)
    assert r.status_code == 422 and _fields(r) == {"name": "must not be empty"}


# -------------------------------------------------------------------------------------------------
# API keys


async def _key_names(client: AsyncTestClient, headers: dict[str, str]) -> list[str]:
    return [k["name"] for k in (await client.get("/api/auth/api-keys", headers=headers)).json()]


@pytest.mark.parametrize("name", [*BAD_NAMES, "   "])
async def test_control_and_invisible_characters_in_an_api_key_name_are_a_422(client: AsyncTestClient, name: str) -> None:
    admin = await login(client)
    r = await client.post("/api/auth/api-keys", json={"name": name}, headers=admin)
    assert r.status_code == 422, r.text
    assert set(_fields(r)) == {"name"}
    assert await _key_names(client, admin) == []


async def test_api_key_names_are_unique_per_user_ignoring_case(client: AsyncTestClient) -> None:
    admin = await login(client)
    viewer = await make_viewer(client, admin)
    assert (await client.post("/api/auth/api-keys", json={"name": "Grafana"}, headers=admin)).status_code == 201
    for spelling in ["grafana", "GRAFANA", " Grafana "]:
        r = await client.post("/api/auth/api-keys", json={"name": spelling}, headers=admin)
        assert r.status_code == 409, r.text
        assert _fields(r) == {"name": "already exists"}
    assert await _key_names(client, admin) == ["Grafana"]
    # another user's key of the same name is not a clash
    assert (await client.post("/api/auth/api-keys", json={"name": "grafana"}, headers=viewer)).status_code == 201


async def test_a_revoked_key_name_may_be_reused_when_rotating(client: AsyncTestClient) -> None:
    admin = await login(client)
    first = (await client.post("/api/auth/api-keys", json={"name": "ci"}, headers=admin)).json()
    assert (await client.delete(f"/api/auth/api-keys/{first['api_key']['id']}", headers=admin)).status_code == 204
    again = await client.post("/api/auth/api-keys", json={"name": "CI"}, headers=admin)
    assert again.status_code == 201 and again.json()["api_key"]["name"] == "CI"


async def test_api_key_names_are_stored_normalised(client: AsyncTestClient) -> None:
    admin = await login(client)
    r = await client.post("/api/auth/api-keys", json={"name": "  cafe\u0301  "}, headers=admin)
    assert r.status_code == 201 and r.json()["api_key"]["name"] == "caf\u00e9"
