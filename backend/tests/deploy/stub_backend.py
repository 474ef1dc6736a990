"""Tiny ASGI stand-in for the Deltaplane API, used by test_nginx.py behind the real nginx.conf.

Run: python -m uvicorn stub_backend:app --app-dir tests/deploy --port N
  GET  /api/health          200 {"status": "ok"}, echoes X-Correlation-ID like the real API
  GET  /api/echo            the request as the backend saw it (headers, client, body size)
  GET  /api/big             a compressible 20 kB JSON body
  POST /api/auth/login      401 (wrong credentials), after reading the body
  WS   /api/ws              sends {"hello": <headers>}, then echoes text frames
"""

from __future__ import annotations

import json
import uuid


async def _http(scope, receive, send) -> None:
    body = b""
    while True:
        msg = await receive()
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    corr = headers.get("x-correlation-id") or uuid.uuid4().hex
    path, method = scope["path"], scope["method"]
    status, payload = 404, {"error": "not_found"}
    if path == "/api/health":
        status, payload = 200, {"status": "ok"}
    elif path == "/api/echo":
        status, payload = (
            200,
            {
                "method": method,
                "path": path,
                "headers": headers,
                "client": scope["client"][0] if scope.get("client") else None,
                "body_len": len(body),
            },
        )
    elif path == "/api/big":
        status, payload = 200, {"rows": [{"i": i, "note": "strangle"} for i in range(800)]}
    elif path == "/api/auth/login" and method == "POST":
        status, payload = 401, {"error": "invalid_credentials", "detail": "wrong username or password"}
    data = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"x-correlation-id", corr.encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _ws(scope, receive, send) -> None:
    msg = await receive()
    assert msg["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    await send({"type": "websocket.send", "text": json.dumps({"hello": headers})})
    while True:
        msg = await receive()
        if msg["type"] == "websocket.disconnect":
            return
        if msg.get("text") is not None:
            await send({"type": "websocket.send", "text": "echo:" + msg["text"]})


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif scope["type"] == "http":
        await _http(scope, receive, send)
    elif scope["type"] == "websocket":
        await _ws(scope, receive, send)
