import itertools

import pytest

from deltaplane.strategy.state_machine import (
    ACTIONS,
    EVENTS,
    STATES,
    IllegalTransition,
    Transition,
    apply_action,
    apply_event,
)

# (state, action, has_open_legs) -> new state, or None for illegal. Every combination is listed.
EXPECTED: dict[tuple[str, str], tuple[str | None, str | None]] = {
    # state, action: (without legs, with legs)
    ("idle", "start"): ("waiting", "waiting"),
    ("idle", "pause"): (None, None),
    ("idle", "resume"): (None, None),
    ("idle", "stop"): (None, None),
    ("idle", "flatten"): (None, None),
    ("idle", "kill"): ("idle", "idle"),
    ("waiting", "start"): (None, None),
    ("waiting", "pause"): ("paused", "paused"),
    ("waiting", "resume"): (None, None),
    ("waiting", "stop"): ("closed", "exiting"),
    ("waiting", "flatten"): ("closed", "exiting"),
    ("waiting", "kill"): ("closed", "exiting"),
    ("entering", "start"): (None, None),
    ("entering", "pause"): (None, None),
    ("entering", "resume"): (None, None),
    ("entering", "stop"): ("exiting", "exiting"),
    ("entering", "flatten"): ("exiting", "exiting"),
    ("entering", "kill"): ("exiting", "exiting"),
    ("open", "start"): (None, None),
    ("open", "pause"): ("paused", "paused"),
    ("open", "resume"): (None, None),
    ("open", "stop"): ("exiting", "exiting"),
    ("open", "flatten"): ("exiting", "exiting"),
    ("open", "kill"): ("exiting", "exiting"),
    ("exiting", "start"): (None, None),
    ("exiting", "pause"): (None, None),
    ("exiting", "resume"): (None, None),
    ("exiting", "stop"): ("exiting", "exiting"),
    ("exiting", "flatten"): ("exiting", "exiting"),
    ("exiting", "kill"): ("exiting", "exiting"),
    ("closed", "start"): ("waiting", "waiting"),
    ("closed", "pause"): (None, None),
    ("closed", "resume"): (None, None),
    ("closed", "stop"): (None, None),
    ("closed", "flatten"): (None, None),
    ("closed", "kill"): ("closed", "closed"),
    ("paused", "start"): (None, None),
    ("paused", "pause"): (None, None),
    ("paused", "resume"): ("waiting", "open"),
    ("paused", "stop"): ("closed", "exiting"),
    ("paused", "flatten"): ("closed", "exiting"),
    ("paused", "kill"): ("closed", "exiting"),
    ("error", "start"): ("waiting", "waiting"),
    ("error", "pause"): (None, None),
    ("error", "resume"): (None, None),
    ("error", "stop"): ("closed", "exiting"),
    ("error", "flatten"): ("closed", "exiting"),
    ("error", "kill"): ("closed", "exiting"),
}


def test_table_is_exhaustive() -> None:
    assert set(EXPECTED) == set(itertools.product(STATES, ACTIONS))


@pytest.mark.parametrize(("state", "action", "legs"), list(itertools.product(STATES, ACTIONS, (False, True))))
def test_every_state_action_pair(state, action, legs) -> None:
    expected = EXPECTED[(state, action)][1 if legs else 0]
    got = apply_action(state, action, has_open_legs=legs)
    if expected is None:
        assert isinstance(got, IllegalTransition)
        assert got.current_state == state and got.action == action and got.message
    else:
        assert isinstance(got, Transition), got
        assert got.new_state == expected and got.previous_state == state
    assert apply_action(state, action, has_open_legs=legs) == got  # pure


def test_start_while_running_says_so() -> None:
    got = apply_action("open", "start")
    assert isinstance(got, IllegalTransition) and "already running" in got.message and got.current_state == "open"
    got = apply_action("paused", "start")
    assert isinstance(got, IllegalTransition) and "resume" in got.message


def test_stop_exits_normally_and_flatten_at_market() -> None:
    stop = apply_action("open", "stop")
    assert isinstance(stop, Transition)
    assert "exit_legs_normal" in stop.effects and "stop_after_exit" in stop.effects and "exit_legs_market" not in stop.effects
    flat = apply_action("open", "flatten")
    assert isinstance(flat, Transition)
    assert {"cancel_open_orders", "exit_legs_market", "stop_after_exit"} <= set(flat.effects)
    kill = apply_action("paused", "kill", has_open_legs=True)
    assert isinstance(kill, Transition) and "exit_legs_market" in kill.effects
    entering = apply_action("entering", "stop")
    assert isinstance(entering, Transition) and "cancel_entry_orders" in entering.effects


def test_pause_keeps_managing_open_legs() -> None:
    got = apply_action("open", "pause")
    assert isinstance(got, Transition) and {"block_new_entries", "manage_open_legs"} <= set(got.effects)


def test_error_recovery_reconciles_first() -> None:
    for action in ("start", "stop", "flatten", "kill"):
        got = apply_action("error", action, has_open_legs=True)
        assert isinstance(got, Transition) and got.effects[0] == "reconcile"


def test_unknown_inputs_are_illegal_not_exceptions() -> None:
    assert isinstance(apply_action("nonsense", "start"), IllegalTransition)  # type: ignore[arg-type]
    assert isinstance(apply_action("idle", "explode"), IllegalTransition)  # type: ignore[arg-type]
    assert isinstance(apply_event("idle", "explode"), IllegalTransition)  # type: ignore[arg-type]


EVENT_EXPECTED = {
    ("waiting", "window_open", ()): "entering",
    ("entering", "entry_filled", ()): "open",
    ("entering", "entry_failed", ()): "waiting",
    ("entering", "entry_failed", ("leg_filled",)): "exiting",
    ("open", "exit_triggered", ()): "exiting",
    ("paused", "exit_triggered", ()): "exiting",
    ("exiting", "exit_done", ()): "waiting",
    ("exiting", "exit_done", ("stop_requested",)): "closed",
    ("exiting", "exit_done", ("paused",)): "paused",
}


@pytest.mark.parametrize(("state", "event"), list(itertools.product(STATES, EVENTS)))
def test_every_state_event_pair(state, event) -> None:
    for flags in ((), ("leg_filled",), ("stop_requested",), ("paused",)):
        got = apply_event(state, event, **{f: True for f in flags})
        if event == "fault":
            expected = "error" if state in ("waiting", "entering", "open", "exiting", "paused") else None
        else:
            expected = EVENT_EXPECTED.get((state, event, flags), EVENT_EXPECTED.get((state, event, ())))
        if expected is None:
            assert isinstance(got, IllegalTransition)
        else:
            assert isinstance(got, Transition) and got.new_state == expected


def test_leg_failure_unwinds() -> None:
    got = apply_event("entering", "entry_failed", leg_filled=True)
    assert isinstance(got, Transition) and "unwind_filled_leg" in got.effects
