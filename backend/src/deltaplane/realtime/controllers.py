"""`WS /api/ws`: ticket-authenticated, topic-based push with heartbeats and resume."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from deltaplane.auth import services as auth_services
from deltaplane.core.services import AppServices
from deltaplane.realtime.hub import CLOSE, RealtimeHub, SubscribeError, encoded_text, is_known_topic
from deltaplane.system.metrics import WS_CONNECTIONS

logger = logging.getLogger("deltaplane.realtime")

HEARTBEAT_SECONDS = 15.0
IDLE_TIMEOUT_SECONDS = 45.0
CLOSE_INTERNAL_ERROR = 1011
CLOSE_UNAUTHORIZED = 4001
CLOSE_FORBIDDEN_ORIGIN = 4003


def origin_allowed(origin: str | None, host: str | None, allowed: tuple[str, ...]) -> bool:
    """Browsers always send Origin on WebSockets: accept same-host or an allow-listed origin."""
    if not origin:
        return True  # non-browser clients (scripts, tests) still need a valid ticket
    if origin in allowed:
        return True
    return bool(host) and urlsplit(origin).netloc == host


def get_hub(svc: AppServices) -> RealtimeHub:
    return svc.extras["hub"]


@websocket("/api/ws", exclude_from_auth=True, operation_id="websocket")
async def realtime_socket(socket: WebSocket) -> None:
    svc: AppServices = socket.app.state.services
    await socket.accept()
    if not origin_allowed(socket.headers.get("origin"), socket.headers.get("host"), svc.settings.allowed_origins):
        await socket.close(code=CLOSE_FORBIDDEN_ORIGIN, reason="origin not allowed")
        return
    ticket = socket.query_params.get("ticket")
    grant = svc.ws_tickets.redeem(ticket) if ticket else None
    if grant is None:
        await socket.close(code=CLOSE_UNAUTHORIZED, reason="missing, used or expired ticket: POST /api/auth/ws-ticket")
        return
    hub = get_hub(svc)
    # Registered before the account is checked: a change committed after this read closes the
    # socket through hub.close_user, one committed before it fails the check.
    sub = hub.connect(grant.user.username, user_id=grant.user.id)
    try:
        user = auth_services.check_ticket_account(grant, await auth_services.load_account(svc.read_sessionmaker, grant.user.id))
    except auth_services.AuthFailed as exc:
        hub.disconnect(sub)
        await socket.close(code=CLOSE_UNAUTHORIZED, reason=f"{exc}; sign in again")
        return
    except BaseException:
        hub.disconnect(sub)
        raise
    WS_CONNECTIONS.inc()
    heartbeat = float(svc.extras.get("ws_heartbeat_seconds", HEARTBEAT_SECONDS))
    idle_timeout = float(svc.extras.get("ws_idle_timeout_seconds", IDLE_TIMEOUT_SECONDS))
    last_seen = time.monotonic()
    await socket.send_json({"type": "welcome", "user": user.username, "role": user.role, "heartbeat_s": heartbeat})

    async def reader() -> None:
        nonlocal last_seen
        while True:
            raw = await socket.receive_text()
            last_seen = time.monotonic()
            message, problem = decode_client_message(raw)
            if problem is not None:
                if problem == TOO_DEEP:  # not a client bug a browser makes: worth a look
                    logger.warning("websocket message nested too deeply", extra={"event": "ws_bad_message", "user": user.username})
                await sub.queue.put({"type": "error", "detail": problem})
                continue
            await handle_client_message(hub, sub, message)

    async def writer() -> None:
        while True:
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that races a
                # message arriving, and the socket then outlives its reader.
                async with asyncio.timeout(heartbeat):
                    message = await sub.queue.get()
            except TimeoutError:
                if time.monotonic() - last_seen > idle_timeout:
                    await socket.close(code=1001, reason="idle timeout")
                    return
                message = {"type": "ping", "ts": time.time()}
            if message.get("type") == CLOSE:  # hub.close_user: the account was disabled, deleted or re-keyed
                await socket.close(code=CLOSE_UNAUTHORIZED, reason=message["reason"])
                return
            await socket.send_text(encoded_text(message))

    tasks = [asyncio.create_task(reader(), name="ws_reader"), asyncio.create_task(writer(), name="ws_writer")]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        failed = next((t for t in done if unexpected_failure(t) is not None), None)
        if failed is not None:
            # A bug, not the client leaving: say so in the log and end the socket with a close
            # frame (the client reconnects) instead of dropping the connection silently.
            logger.error("websocket failed", extra={"event": "ws_failed", "task": failed.get_name(), "user": user.username},
                         exc_info=unexpected_failure(failed))  # fmt: skip
            with contextlib.suppress(Exception):
                await socket.close(code=CLOSE_INTERNAL_ERROR, reason="internal error; reconnect")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        hub.disconnect(sub)
        WS_CONNECTIONS.dec()


TOO_DEEP = "message nested too deeply"


def decode_client_message(raw: str) -> tuple[dict[str, Any], str | None]:
    """A client frame -> (message, None), or ({}, what is wrong with it)."""
    try:
        message = msgspec.json.decode(raw)
    except RecursionError:  # msgspec's answer to absurd nesting: the client's input, not our bug
        return {}, TOO_DEEP
    except msgspec.DecodeError:
        return {}, "messages must be JSON objects"
    if not isinstance(message, dict):
        return {}, "messages must be JSON objects"
    return message, None


def unexpected_failure(task: asyncio.Task[None]) -> BaseException | None:
    """The exception a finished reader/writer task died of, unless it is the client going away."""
    if task.cancelled():
        return None
    exc = task.exception()
    # OSError: the server's "client disconnected" when a send races the client leaving.
    return None if exc is None or isinstance(exc, WebSocketDisconnect | OSError) else exc


async def handle_client_message(hub: RealtimeHub, sub: Any, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind == "pong" or kind == "ping":
        if kind == "ping":
            await sub.queue.put({"type": "pong", "ts": time.time()})
        return
    if kind == "subscribe":
        topic = message.get("topic")
        if not isinstance(topic, str) or not is_known_topic(topic):
            await sub.queue.put({"type": "error", "field": "topic", "topic": topic, "detail": f"unknown topic {topic!r}"})
            return
        filt = message.get("filter")
        filt = {} if filt is None else filt
        resume = message.get("resume_after")
        if not isinstance(filt, dict):
            await sub.queue.put({"type": "error", "field": "filter", "topic": topic, "detail": "filter must be an object"})
            return
        if resume is not None and (not isinstance(resume, int) or isinstance(resume, bool)):
            await sub.queue.put({"type": "error", "field": "resume_after", "topic": topic, "detail": "resume_after must be an integer"})
            return
        try:
            await hub.subscribe(sub, topic, filt, resume)
        except SubscribeError as exc:
            await sub.queue.put({"type": "error", "field": exc.field, "topic": topic, "detail": exc.detail})
        return
    if kind == "unsubscribe":
        topic = message.get("topic")
        if not isinstance(topic, str):
            await sub.queue.put({"type": "error", "field": "topic", "topic": topic, "detail": "topic must be a string"})
            return
        hub.unsubscribe(sub, topic)
        await sub.queue.put({"type": "unsubscribed", "topic": topic})
        return
    await sub.queue.put({"type": "error", "field": "type", "detail": f"unknown message type {kind!r}"})
