"""`WS /api/ws`: ticket-authenticated, topic-based push with heartbeats and resume."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from deltaplane.core.services import AppServices
from deltaplane.realtime.hub import RealtimeHub, encoded_text, is_known_topic
from deltaplane.system.metrics import WS_CONNECTIONS

logger = logging.getLogger("deltaplane.realtime")

HEARTBEAT_SECONDS = 15.0
IDLE_TIMEOUT_SECONDS = 45.0
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
    user = svc.ws_tickets.redeem(ticket) if ticket else None
    if user is None:
        await socket.close(code=CLOSE_UNAUTHORIZED, reason="missing, used or expired ticket: POST /api/auth/ws-ticket")
        return
    hub = get_hub(svc)
    sub = hub.connect(user.username)
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
            try:
                message = msgspec.json.decode(raw)
                if not isinstance(message, dict):
                    raise ValueError
            except (msgspec.DecodeError, ValueError):
                await sub.queue.put({"type": "error", "detail": "messages must be JSON objects"})
                continue
            await handle_client_message(hub, sub, message)

    async def writer() -> None:
        while True:
            try:
                message = await asyncio.wait_for(sub.queue.get(), timeout=heartbeat)
            except TimeoutError:
                if time.monotonic() - last_seen > idle_timeout:
                    await socket.close(code=1001, reason="idle timeout")
                    return
                message = {"type": "ping", "ts": time.time()}
            await socket.send_text(encoded_text(message))

    tasks = [asyncio.create_task(reader()), asyncio.create_task(writer())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        hub.disconnect(sub)
        WS_CONNECTIONS.dec()


async def handle_client_message(hub: RealtimeHub, sub: Any, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind == "pong" or kind == "ping":
        if kind == "ping":
            await sub.queue.put({"type": "pong", "ts": time.time()})
        return
    if kind == "subscribe":
        topic = message.get("topic")
        if not isinstance(topic, str) or not is_known_topic(topic):
            await sub.queue.put({"type": "error", "field": "topic", "detail": f"unknown topic {topic!r}"})
            return
        filt = message.get("filter") or {}
        resume = message.get("resume_after")
        if not isinstance(filt, dict) or (resume is not None and not isinstance(resume, int)):
            await sub.queue.put({"type": "error", "field": "filter", "detail": "filter must be an object, resume_after an integer"})
            return
        await hub.subscribe(sub, topic, filt, resume)
        return
    if kind == "unsubscribe":
        topic = message.get("topic")
        if isinstance(topic, str):
            hub.unsubscribe(sub, topic)
            await sub.queue.put({"type": "unsubscribed", "topic": topic})
        return
    await sub.queue.put({"type": "error", "field": "type", "detail": f"unknown message type {kind!r}"})
