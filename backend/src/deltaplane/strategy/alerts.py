"""Operator alerts: pushed to the `alerts` WebSocket topic, logged, and sent to an optional webhook."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from deltaplane.realtime.hub import RealtimeHub
from deltaplane.settings import Settings

logger = logging.getLogger("deltaplane.alerts")


def webhook_payload(fmt: str, *, kind: str, level: str, message: str, data: dict[str, Any], chat_id: str = "") -> dict[str, Any]:
    """JSON body for the webhook: our own shape, or Telegram's sendMessage shape."""
    if fmt == "telegram":
        icon = {"error": "🚨", "warning": "⚠️"}.get(level, "ℹ️")
        body: dict[str, Any] = {"text": f"{icon} Deltaplane {kind}: {message}", "disable_web_page_preview": True}
        if chat_id:
            body["chat_id"] = chat_id
        return body
    return {"source": "deltaplane", "kind": kind, "level": level, "message": message, "data": data}


class AlertService:
    def __init__(self, settings: Settings, hub: RealtimeHub, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.hub = hub
        self._client = client
        self._tasks: set[asyncio.Task[None]] = set()

    def emit(self, kind: str, message: str, *, level: str = "info", **data: Any) -> None:
        payload = {"kind": kind, "level": level, "message": message, "data": data}
        self.hub.publish("alerts", payload)
        log_level = {"error": logging.ERROR, "warning": logging.WARNING}.get(level, logging.INFO)
        logger.log(log_level, message, extra={"event": f"alert_{kind}", **{k: v for k, v in data.items() if k not in ("message",)}})
        if self.settings.alert_webhook_url:
            task = asyncio.get_running_loop().create_task(self._post(kind, level, message, data))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _post(self, kind: str, level: str, message: str, data: dict[str, Any]) -> None:
        body = webhook_payload(
            self.settings.alert_webhook_format, kind=kind, level=level, message=message, data=data, chat_id=self.settings.alert_telegram_chat_id
        )
        try:
            client = self._client or httpx.AsyncClient(timeout=5.0)
            try:
                response = await client.post(self.settings.alert_webhook_url, json=body)
                response.raise_for_status()
            finally:
                if self._client is None:
                    await client.aclose()
        except Exception as exc:  # an unreachable webhook must never disturb trading
            logger.warning("alert webhook failed", extra={"event": "alert_webhook_failed", "error": type(exc).__name__})

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
