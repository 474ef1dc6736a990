"""Bad numbers and times over HTTP (the real app and engine): a 422 naming every offending field,
never a 500, and nothing written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from deltaplane.db.base import utcnow
from deltaplane.strategy.models import RiskState, Strategy
from tests.engine.harness import Harness, strategy_body


def _fields(response: Any) -> dict[str, str]:
    body = response.json()
    return {f["field"]: f["message"] for f in body.get("fields", [])}


async def _strategy_names(h: Harness) -> list[str]:
    r = await h.api("GET", "/api/strategies")
    assert r.status_code == 200
    return [s["name"] for s in r.json()]


async def test_an_unbounded_premium_is_refused_by_preview_and_create(tmp_path) -> None:
    # The audit: the create was accepted (201), then every preview of it was a 500 (decimal.Overflow).
    body = strategy_body(name="P", strike_mode="premium", premium_low="1", premium_high="1E+999999999")
    async with Harness(tmp_path) as h:
        for path in ("/api/strategies/preview", "/api/strategies"):
            r = await h.api("POST", path, json=body)
            assert r.status_code == 422, r.text
            assert _fields(r) == {"premium_high": "must be greater than 0 and at most 1,000,000 USD"}
            assert "premium_high" in r.json()["detail"]
        assert await _strategy_names(h) == []


async def test_every_out_of_bounds_decimal_is_named_at_once(tmp_path) -> None:
    body = strategy_body(
        name="All bad", strike_mode="premium", premium_low="0.000000001", premium_high="2000000",
        delta_low="0.123456", distance_pct="1E+50", max_loss_pct="50.00001", take_profit_pct="1e-999999",
        leg_stop_loss_pct="1E+9999", daily_loss_limit_usd="1E+9999999",
        trailing_rules=[{"trigger_pct": "1E+99", "lock_pct": "0"}],
        execution={"limit_attempts": 2, "attempt_timeout_s": 3, "max_slippage_pct": "5.000001", "market_fallback": True},
    )
    async with Harness(tmp_path) as h:
        r = await h.api("POST", "/api/strategies", json=body)
        assert r.status_code == 422, r.text
        assert {"premium_low", "premium_high", "delta_low", "distance_pct", "max_loss_pct", "take_profit_pct", "leg_stop_loss_pct",
                "daily_loss_limit_usd", "trailing_rules[0].trigger_pct", "execution.max_slippage_pct"} <= set(_fields(r))
        assert await _strategy_names(h) == []


async def test_an_update_with_an_unbounded_decimal_changes_nothing(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        sid = await h.create(name="Keep")
        before = (await h.api("GET", f"/api/strategies/{sid}")).json()
        r = await h.api("PUT", f"/api/strategies/{sid}", json=strategy_body(name="Keep", daily_loss_limit_usd="1E+9999999"))
        assert r.status_code == 422 and "daily_loss_limit_usd" in _fields(r)
        assert (await h.api("GET", f"/api/strategies/{sid}")).json() == before


@pytest.mark.parametrize(("overrides", "field"), [
    ({"premium_low": "1_000", "premium_high": "2000", "strike_mode": "premium"}, "premium_low"),
    ({"daily_loss_limit_usd": "1_000"}, "daily_loss_limit_usd"),
    ({"max_loss_pct": "5_0"}, "max_loss_pct"),
    ({"trailing_rules": [{"trigger_pct": "2_0", "lock_pct": "0"}]}, "trailing_rules[0].trigger_pct"),
    ({"execution": {"limit_attempts": 2, "attempt_timeout_s": 3, "max_slippage_pct": "1_0", "market_fallback": True}},
     "execution.max_slippage_pct"),
])
async def test_underscored_numbers_are_refused_in_plain_words(tmp_path, overrides: dict[str, Any], field: str) -> None:
    async with Harness(tmp_path) as h:
        for path in ("/api/strategies/preview", "/api/strategies"):
            r = await h.api("POST", path, json=strategy_body(**overrides))
            assert r.status_code == 422, r.text
            assert "underscores" in _fields(r)[field]
        assert await _strategy_names(h) == []


async def test_a_number_written_as_a_saved_config_shows_it_reads_back(tmp_path) -> None:
    # a saved Decimal may come back as "1E-8": sending the config back unchanged must work
    async with Harness(tmp_path) as h:
        r = await h.api("POST", "/api/strategies", json=strategy_body(strike_mode="premium", premium_low="0.00000001", premium_high="5"))
        assert r.status_code == 201, r.text
        saved = r.json()
        assert saved["config"]["premium_low"] == "1E-8"
        again = await h.api("PUT", f"/api/strategies/{saved['id']}", json=saved["config"])
        assert again.status_code == 200, again.text


@pytest.mark.parametrize("rule", ["next", "date", "offset_days"])
async def test_expiry_offset_days_is_range_checked_whatever_the_rule(tmp_path, rule: str) -> None:
    extra = {"expiry_date": "2099-01-01"} if rule == "date" else {}
    async with Harness(tmp_path) as h:
        r = await h.api("POST", "/api/strategies", json=strategy_body(name="X", expiry_rule=rule, expiry_offset_days=10**12, **extra))
        assert r.status_code == 422, r.text
        assert _fields(r) == {"expiry_offset_days": "must be between 0 and 365 days"}
        assert await _strategy_names(h) == []


async def test_an_integer_beyond_64_bits_is_a_4xx_naming_the_field(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        r = await h.client.post("/api/strategies", content=b'{"name":"X","expiry_offset_days":123456789012345678901234567890}',
                                headers={**h.headers, "Content-Type": "application/json"})
        assert r.status_code in (400, 422), r.text
        assert "expiry_offset_days" in _fields(r)
        assert await _strategy_names(h) == []


@pytest.mark.parametrize("field", ["entry_time", "exit_time"])
@pytest.mark.parametrize("value", ["09:30\n", "09:30\r\n", "0\u0669:30"])
async def test_a_time_with_a_trailing_newline_or_foreign_digits_is_refused(tmp_path, field: str, value: str) -> None:
    async with Harness(tmp_path) as h:
        r = await h.api("POST", "/api/strategies", json=strategy_body(**{field: value}))
        assert r.status_code == 422, r.text
        assert field in _fields(r)
        assert await _strategy_names(h) == []


async def test_preview_of_a_config_saved_before_the_bounds_says_what_to_fix(tmp_path) -> None:
    # A row written by the old code (the audit left one): a clear answer, not a 500 on every call.
    async with Harness(tmp_path) as h:
        sid = await h.create(name="Old")
        async with h.app.state.services.sessionmaker() as db:
            row = await db.get(Strategy, sid)
            row.config_json = row.config_json.replace('"premium_high":null', '"premium_high":"1E+999999999"').replace(
                '"strike_mode":"delta"', '"strike_mode":"premium"').replace('"premium_low":null', '"premium_low":"1"')
            assert "1E+999999999" in row.config_json
            row.updated_at = utcnow()
            await db.commit()
        r = await h.api("GET", f"/api/strategies/{sid}/preview")
        assert r.status_code == 200, r.text
        assert r.json()["ok"] is False and "premium_high" in r.json()["message"]
        # and it cannot be started: the runner would overflow picking strikes mid-session
        r = await h.action(sid, "start")
        assert r.status_code == 409, r.text
        assert r.json()["fields"][0]["field"] == "premium_high" and "edit and save" in r.json()["detail"]
        assert await h.state(sid) == "idle"


async def test_market_underlying_with_a_trailing_newline_is_a_4xx(tmp_path) -> None:
    async with Harness(tmp_path) as h:
        for path in ("/api/market/spot", "/api/market/expiries", "/api/market/chain"):
            r = await h.api("GET", f"{path}?underlying=BTC%0A")
            assert 400 <= r.status_code < 500, (path, r.status_code, r.text)
            assert "underlying" in r.text
            assert (await h.api("GET", f"{path}?underlying=BTC")).status_code == 200


# -------------------------------------------------------------------------------------------------
# PUT /api/engine/risk


async def _risk(h: Harness) -> dict[str, Any]:
    r = await h.api("GET", "/api/engine/risk")
    assert r.status_code == 200
    return r.json()


@pytest.mark.parametrize(("body", "fragment"), [
    ({"daily_loss_limit_usd": "1E+9999999"}, "at most 1,000,000,000 USD"),  # stored 10,000,000 characters
    ({"daily_loss_limit_usd": "1e-999999"}, "at most 4 decimal places"),  # effectively a zero limit
    ({"daily_loss_limit_usd": "1000000000.01"}, "at most 1,000,000,000 USD"),
    ({"daily_loss_limit_usd": "0.00001"}, "at most 4 decimal places"),
    ({"daily_loss_limit_usd": "0"}, "greater than 0"),
    ({"daily_loss_limit_usd": "1_000"}, "underscores"),
    ({"daily_loss_limit_usd": " 100"}, "plain decimal"),
    ({"daily_loss_limit_usd": "1e99999999999999999999999"}, "too large"),
    ({"clear_daily_loss_limit": True, "daily_loss_limit_usd": "garbage"}, "clear_daily_loss_limit"),  # was 200, garbage ignored
    ({"clear_daily_loss_limit": True, "daily_loss_limit_usd": "50"}, "clear_daily_loss_limit"),
])
async def test_a_bad_daily_loss_limit_is_a_422_and_changes_nothing(tmp_path, body: dict[str, Any], fragment: str) -> None:
    async with Harness(tmp_path) as h:
        assert (await h.api("PUT", "/api/engine/risk", json={"daily_loss_limit_usd": "25"})).status_code == 200
        before = await _risk(h)
        r = await h.api("PUT", "/api/engine/risk", json=body)
        assert r.status_code == 422, r.text
        assert list(_fields(r)) == ["daily_loss_limit_usd"] and fragment in _fields(r)["daily_loss_limit_usd"]
        assert await _risk(h) == before


@pytest.mark.parametrize("limit", ["1000000000", "0.0001", "250.50", "1E+3"])
async def test_a_sensible_daily_loss_limit_is_saved(tmp_path, limit: str) -> None:
    async with Harness(tmp_path) as h:
        r = await h.api("PUT", "/api/engine/risk", json={"daily_loss_limit_usd": limit})
        assert r.status_code == 200, r.text
        async with h.app.state.services.sessionmaker() as db:
            stored = await db.scalar(select(RiskState.daily_loss_limit_usd))
        assert stored == Decimal(limit)
        assert r.json()["daily_loss_limit_usd"] == (await _risk(h))["daily_loss_limit_usd"] == format(Decimal(limit), "f")
        assert (await h.api("PUT", "/api/engine/risk", json={"clear_daily_loss_limit": True})).json()["daily_loss_limit_usd"] is None
