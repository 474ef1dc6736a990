"""Runtime state machine of one strategy (pure tables).

States
  idle      never started (or reset); nothing scheduled, no legs
  waiting   running; no legs; waiting for the entry window or a re-entry
  entering  entry orders in flight
  open      both legs open; exit rules evaluated on every tick
  exiting   exit (or unwind) orders in flight
  closed    stopped after running: the last session is closed and nothing is scheduled
  paused    running but no new entries; open legs (if any) are still managed by the exit rules
  error     the engine could not establish what is on the exchange; needs the operator

Operator actions (`apply_action`), what they do to open legs:
  start    idle|closed|error -> waiting (error: reconcile with the exchange first)
  pause    waiting|open -> paused: no new entries; open legs stay, exits still run
  resume   paused -> open (legs open) | waiting
  stop     exit open legs with the NORMAL execution (limit walk, then market fallback if
           configured), then stop: -> exiting (legs open) | closed. Entry orders in flight are
           cancelled and any filled entry leg is exited the same way.
  flatten  cancel every open order and exit every leg with MARKET orders now, then stop:
           -> exiting | closed
  kill     the global kill switch: flatten everything that runs; a no-op where nothing runs
           (never a 409, so the global switch can sweep all strategies)
Illegal combinations return IllegalTransition (the API answers 409 with the current state), e.g.
start while running, resume while not paused, pause while entering/exiting.

Engine events (`apply_event`) move a running strategy along its session:
  window_open    waiting -> entering
  entry_filled   entering -> open
  entry_failed   entering -> exiting (a leg filled: unwind it) | waiting (nothing filled)
  exit_triggered open|paused(with legs) -> exiting
  exit_done      exiting -> closed (stop requested) | paused (paused) | waiting
  fault          any running state -> error
"""

from __future__ import annotations

from typing import Literal

import msgspec

State = Literal["idle", "waiting", "entering", "open", "exiting", "closed", "paused", "error"]
Action = Literal["start", "pause", "resume", "stop", "flatten", "kill"]
Event = Literal["window_open", "entry_filled", "entry_failed", "exit_triggered", "exit_done", "fault"]
Effect = Literal[
    "reconcile",  # compare persisted legs/orders with the exchange by client_order_id first
    "schedule_entries",  # (re)arm the entry scheduler
    "cancel_schedule",  # no further entries
    "block_new_entries",  # paused: no entries, exits still evaluated
    "manage_open_legs",  # keep evaluating exit rules on open legs
    "cancel_entry_orders",
    "cancel_open_orders",
    "exit_legs_normal",  # limit walk per execution config, market fallback if configured
    "exit_legs_market",  # IOC market orders now
    "unwind_filled_leg",  # one entry leg filled, the other failed: close the filled one
    "place_entry_orders",
    "stop_after_exit",  # when the exit completes, go to closed instead of waiting
    "record_session_closed",
    "alert",  # loud operator alert (error state)
]

STATES: tuple[State, ...] = ("idle", "waiting", "entering", "open", "exiting", "closed", "paused", "error")
ACTIONS: tuple[Action, ...] = ("start", "pause", "resume", "stop", "flatten", "kill")
EVENTS: tuple[Event, ...] = ("window_open", "entry_filled", "entry_failed", "exit_triggered", "exit_done", "fault")
RUNNING_STATES: frozenset[State] = frozenset({"waiting", "entering", "open", "exiting", "paused"})


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    previous_state: State
    new_state: State
    effects: tuple[Effect, ...]


class IllegalTransition(msgspec.Struct, frozen=True, kw_only=True):
    current_state: State
    action: str
    message: str


def _t(prev: State, new: State, *effects: Effect) -> Transition:
    return Transition(previous_state=prev, new_state=new, effects=tuple(effects))


def _illegal(state: State, action: str, message: str) -> IllegalTransition:
    return IllegalTransition(current_state=state, action=action, message=message)


def apply_action(state: State, action: Action, *, has_open_legs: bool = False) -> Transition | IllegalTransition:
    """Operator action -> transition or a 409-ready refusal. `has_open_legs` matters only where a
    state can be with or without legs (paused, error)."""
    if state not in STATES:
        return _illegal(state, action, f"unknown state {state!r}")
    legs = has_open_legs or state in ("open", "entering", "exiting")

    if action == "start":
        if state in ("idle", "closed"):
            return _t(state, "waiting", "schedule_entries")
        if state == "error":
            return _t(state, "waiting", "reconcile", "schedule_entries")
        if state == "paused":
            return _illegal(state, action, "strategy is paused; use resume")
        return _illegal(state, action, f"strategy is already running (state {state})")

    if action == "pause":
        if state == "waiting":
            return _t(state, "paused", "block_new_entries")
        if state == "open":
            return _t(state, "paused", "block_new_entries", "manage_open_legs")
        if state == "paused":
            return _illegal(state, action, "strategy is already paused")
        if state in ("entering", "exiting"):
            return _illegal(state, action, f"cannot pause while {state}; wait, or stop/flatten")
        return _illegal(state, action, f"strategy is not running (state {state})")

    if action == "resume":
        if state == "paused":
            return _t(state, "open", "manage_open_legs") if has_open_legs else _t(state, "waiting", "schedule_entries")
        return _illegal(state, action, f"only a paused strategy can be resumed (state {state})")

    if action == "stop":
        if state in ("idle", "closed"):
            return _illegal(state, action, f"strategy is not running (state {state})")
        if state == "exiting":
            return _t(state, "exiting", "cancel_schedule", "stop_after_exit")
        if state == "entering":
            return _t(state, "exiting", "cancel_schedule", "cancel_entry_orders", "exit_legs_normal", "stop_after_exit")
        if legs:
            effects: tuple[Effect, ...] = ("cancel_schedule", "exit_legs_normal", "stop_after_exit")
            if state == "error":
                effects = ("reconcile", *effects)
            return _t(state, "exiting", *effects)
        return _t(state, "closed", "cancel_schedule", *(("reconcile",) if state == "error" else ()))

    if action in ("flatten", "kill"):
        if state in ("idle", "closed"):
            if action == "kill":
                return _t(state, state)  # nothing runs: the global switch passes over it
            return _illegal(state, action, f"strategy is not running (state {state}); nothing to flatten")
        if legs:
            pre: tuple[Effect, ...] = ("reconcile",) if state == "error" else ()
            return _t(state, "exiting", *pre, "cancel_schedule", "cancel_open_orders", "exit_legs_market",
                      "stop_after_exit")
        return _t(state, "closed", *(("reconcile",) if state == "error" else ()), "cancel_schedule",
                  "cancel_open_orders")

    return _illegal(state, action, f"unknown action {action!r}")


def apply_event(state: State, event: Event, *, leg_filled: bool = False, stop_requested: bool = False,
                paused: bool = False) -> Transition | IllegalTransition:
    """Engine-internal events. `leg_filled` (entry_failed): some entry leg filled; `stop_requested`
    (exit_done): a stop/flatten/kill is pending; `paused` (exit_done): the exit ran while paused."""
    if event == "fault":
        if state in RUNNING_STATES:
            return _t(state, "error", "cancel_schedule", "alert")
        return _illegal(state, event, f"fault outside a running state ({state})")
    if event == "window_open":
        if state == "waiting":
            return _t(state, "entering", "place_entry_orders")
    elif event == "entry_filled":
        if state == "entering":
            return _t(state, "open", "manage_open_legs")
    elif event == "entry_failed":
        if state == "entering":
            if leg_filled:
                return _t(state, "exiting", "cancel_entry_orders", "unwind_filled_leg")
            return _t(state, "waiting", "cancel_entry_orders", "schedule_entries")
    elif event == "exit_triggered":
        if state == "open" or state == "paused":
            return _t(state, "exiting", "exit_legs_normal")
    elif event == "exit_done":
        if state == "exiting":
            if stop_requested:
                return _t(state, "closed", "record_session_closed", "cancel_schedule")
            if paused:
                return _t(state, "paused", "record_session_closed", "block_new_entries")
            return _t(state, "waiting", "record_session_closed", "schedule_entries")
    else:
        return _illegal(state, event, f"unknown event {event!r}")
    return _illegal(state, event, f"event {event} is not valid in state {state}")
