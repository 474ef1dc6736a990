"""kill -9 the real API process with a paper strangle open, during its entry and during its exit;
start it again and check the engine's recovery: no duplicate orders, every leg accounted for on
both sides of the wire, the paper account holding exactly what the DB says is open, then a clean
stop to flat. The paper account lives in the same SQLite file, so it survives the kill like an
exchange would.

To kill *while an order is on the wire*, the killed run sets PAPER_ORDER_LATENCY_MS (the request
has not reached the exchange yet) or PAPER_ORDER_REPLY_LATENCY_MS (the exchange acted, the engine
has not heard back) to a latency that never elapses; the restarted run has none. The kill happens
once the order intents are committed (and, for "reply", once the exchange saved the orders), both
read from the SQLite file, so where the kill lands does not depend on timing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hardening.realproc import (
    FOREVER_MS,
    Api,
    assert_books_agree,
    assert_positions_match_open_legs,
    event_kinds,
    legs_of,
    needs_cli,
    orders_of,
    paper_positions,
    paper_state,
    poll,
    session_of,
    write_paper_state,
)

LATENCY = {"request": "PAPER_ORDER_LATENCY_MS", "reply": "PAPER_ORDER_REPLY_LATENCY_MS"}
NEVER_REACHED = "never reached the exchange (restart)"


def _on_the_wire(tmp: Path, session_id: str, purpose: str, window: str) -> list[dict] | None:
    """Both legs' order intents committed and (window "reply") already on the paper account."""
    intents = [o for o in orders_of(tmp, session_id, purpose) if o["state"] == "intent"]
    if len(intents) < 2:
        return None
    if window == "reply":
        placed = {o["client_order_id"] for o in paper_state(tmp)["orders"]}
        if not {o["client_order_id"] for o in intents} <= placed:
            return None
    return intents


def _filled_on_exchange(tmp: Path, client_order_ids: list[str]) -> set[str]:
    return {o["client_order_id"] for o in paper_state(tmp)["orders"]
            if o["client_order_id"] in client_order_ids and o["unfilled_size"] == 0}


def _stop_to_flat(api: Api, tmp: Path, sid: int) -> None:
    api.post(f"/api/strategies/{sid}/actions", {"action": "stop"})
    assert poll(lambda: (st := api.state(sid)) in ("closed", "error") and st, "the stop") == "closed"
    assert_books_agree(tmp, sid)
    assert paper_positions(tmp) == {}
    session = session_of(tmp, sid)
    assert session is not None and session["status"] == "closed"
    assert all(leg["entry_qty"] == leg["exit_qty"] for leg in legs_of(tmp, session["id"]))


@needs_cli
def test_kill_9_with_open_legs_then_restart_resumes_without_duplicates(tmp_path: Path) -> None:
    api = Api(tmp_path)
    try:
        sid = api.start_strangle("kill9")
        poll(lambda: api.state(sid) == "open", "the strangle to open")
        session_id = api.get(f"/api/strategies/{sid}/runtime")["session"]["id"]
        before = api.get(f"/api/sessions/{session_id}")
    finally:
        api.kill9()

    with Api(tmp_path) as api:
        def recovered() -> dict | None:
            rt = api.get(f"/api/strategies/{sid}/runtime")
            kinds = {e["kind"] for e in rt["events"]}
            return rt if {"engine_recovered", "reconciled"} <= kinds else None

        rt = poll(recovered, "the engine to resume and reconcile")
        assert rt["state"] == "open" and rt["session"]["id"] == session_id
        after = api.get(f"/api/sessions/{session_id}")
        ids = [o["client_order_id"] for o in after["orders"]]
        # nothing re-sent after the kill (a leg may have needed more than one limit attempt before it)
        assert len(ids) == len(set(ids)) and sorted(ids) == sorted(o["client_order_id"] for o in before["orders"])
        assert all(leg["entry_qty"] == 1 for leg in after["legs"])
        assert_books_agree(tmp_path, sid)
        assert_positions_match_open_legs(tmp_path, sid)
        api.post(f"/api/strategies/{sid}/actions", {"action": "stop"})
        poll(lambda: api.state(sid) == "closed", "the exit")
        final = api.get(f"/api/sessions/{session_id}")
        assert all(leg["entry_qty"] == leg["exit_qty"] == 1 for leg in final["legs"])
        assert final["session"]["exit_reason"] == "manual_stop"
        assert paper_positions(tmp_path) == {}


@needs_cli
@pytest.mark.parametrize("window", ["request", "reply"])
def test_kill_9_during_entry_then_restart_settles_the_entry_without_duplicates(tmp_path: Path, window: str) -> None:
    api = Api(tmp_path, **{LATENCY[window]: FOREVER_MS})
    try:
        sid = api.start_strangle("kill9-entry")

        def entry_on_the_wire() -> tuple[str, list[dict]] | None:
            session = session_of(tmp_path, sid)
            intents = session and _on_the_wire(tmp_path, session["id"], "entry", window)
            return (session["id"], intents) if session and intents else None

        session_id, intents = poll(entry_on_the_wire, f"both entry orders on the wire ({window})", interval=0.05)
    finally:
        api.kill9()
    # Where the kill landed (the latency never elapses, so this is not a race):
    assert session_of(tmp_path, sid)["status"] == "entering"
    assert all(leg["entry_qty"] == 0 for leg in legs_of(tmp_path, session_id))
    sent = [o["client_order_id"] for o in intents]
    filled_at_kill = _filled_on_exchange(tmp_path, sent)
    if window == "request":
        assert not filled_at_kill and not set(sent) & {o["client_order_id"] for o in paper_state(tmp_path)["orders"]}

    with Api(tmp_path) as api:
        session = poll(lambda: (s := session_of(tmp_path, sid)) and s["status"] not in ("entering",) and s,
                       "the engine to settle the interrupted entry")
        assert session["id"] == session_id and session["error"] is None, session
        kinds = event_kinds(tmp_path, sid)
        assert "engine_recovered" in kinds and "reconciled" in kinds and "session_error" not in kinds
        # Recovery looked both orders up by client_order_id; it never sent an entry order again.
        assert [o["client_order_id"] for o in orders_of(tmp_path, session_id, "entry")] == sent
        assert_books_agree(tmp_path, sid)
        legs = legs_of(tmp_path, session_id)
        if window == "request":
            # Neither order reached the exchange: both are cancelled, the entry fails cleanly.
            assert session["status"] == "closed" and session["exit_reason"] == "entry_failed"
            assert all(o["state"] == "cancelled" and o["error"] == NEVER_REACHED for o in orders_of(tmp_path, session_id))
            assert [(leg["status"], leg["entry_qty"]) for leg in legs] == [("failed", 0), ("failed", 0)]
        elif session["status"] == "open":
            # The exchange filled both sells (at once, or the resting one by the time it was looked up).
            assert [(leg["status"], leg["entry_qty"]) for leg in legs] == [("open", 1), ("open", 1)]
        else:
            # A sell was still resting and got cancelled: whatever did fill was unwound, never left naked.
            assert set(filled_at_kill) != set(sent)
            assert session["status"] == "closed" and session["exit_reason"] == "entry_failed", session
            assert all(leg["entry_qty"] == leg["exit_qty"] for leg in legs), legs
        assert_positions_match_open_legs(tmp_path, sid)
        _stop_to_flat(api, tmp_path, sid)


@needs_cli
@pytest.mark.parametrize("window", ["request", "reply"])
def test_kill_9_during_exit_then_restart_finishes_the_exit_without_duplicates(tmp_path: Path, window: str) -> None:
    api = Api(tmp_path)
    try:
        sid = api.start_strangle("kill9-exit")
        poll(lambda: api.state(sid) == "open", "the strangle to open")
    finally:
        api.kill9()
    session_id = session_of(tmp_path, sid)["id"]
    legs = legs_of(tmp_path, session_id)

    api = Api(tmp_path, **{LATENCY[window]: FOREVER_MS})
    try:
        poll(lambda: "reconciled" in event_kinds(tmp_path, sid), "the resumed session to reconcile")
        api.post(f"/api/strategies/{sid}/actions", {"action": "stop"})
        intents = poll(lambda: _on_the_wire(tmp_path, session_id, "exit", window),
                       f"both exit orders on the wire ({window})", interval=0.05)
    finally:
        api.kill9()
    session = session_of(tmp_path, sid)
    assert session["status"] == "exiting" and session["exit_reason"] == "manual_stop"
    assert all(leg["exit_qty"] == 0 for leg in legs_of(tmp_path, session_id))
    assert all(o["reduce_only"] and o["side"] == "buy" for o in intents)
    sent = [o["client_order_id"] for o in intents]
    filled_at_kill = _filled_on_exchange(tmp_path, sent)
    if window == "request":
        assert not filled_at_kill and not set(sent) & {o["client_order_id"] for o in paper_state(tmp_path)["orders"]}

    # Meanwhile someone sells 2 contracts of another strike by hand on the same account.
    call = next(leg for leg in legs if leg["kind"] == "call")
    _, underlying, strike, expiry = call["symbol"].split("-")
    foreign = f"C-{underlying}-{int(strike) + 20000}-{expiry}"
    state = paper_state(tmp_path)
    state["positions"].append({"symbol": foreign, "size": -2, "entry_price": "5", "realized_pnl": "0"})
    write_paper_state(tmp_path, state)

    with Api(tmp_path) as api:
        assert poll(lambda: (st := api.state(sid)) in ("closed", "error") and st, "the resumed exit to finish") == "closed"
        session = session_of(tmp_path, sid)
        assert session["status"] == "closed" and session["exit_reason"] == "manual_stop", session
        kinds = event_kinds(tmp_path, sid)
        assert kinds.count("engine_recovered") == 2 and kinds.count("reconciled") == 2 and "session_error" not in kinds
        final_legs = legs_of(tmp_path, session_id)
        assert [(leg["status"], leg["entry_qty"], leg["exit_qty"]) for leg in final_legs] == [("closed", 1, 1)] * 2
        exits = orders_of(tmp_path, session_id, "exit")
        assert_books_agree(tmp_path, sid)  # in particular: exactly one contract bought back per leg
        # A leg whose buy the exchange had filled before the kill gets no other exit order: the
        # restart books that fill instead of buying again.
        for intent in intents:
            if intent["client_order_id"] in filled_at_kill:
                assert [o["client_order_id"] for o in exits if o["leg_id"] == intent["leg_id"]] == [intent["client_order_id"]]
        if window == "request":
            # Neither buy reached the exchange: both cancelled, then the exit is sent afresh.
            first = [o for o in exits if o["client_order_id"] in sent]
            assert all(o["state"] == "cancelled" and o["error"] == NEVER_REACHED for o in first), first
        # Flat, except for the hand-made position: never adopted, never touched.
        assert paper_positions(tmp_path) == {foreign: -2}
        assert_positions_match_open_legs(tmp_path, sid, foreign={foreign: -2})
        assert all(o["symbol"] != foreign for o in paper_state(tmp_path)["orders"])
