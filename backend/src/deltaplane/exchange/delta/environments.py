"""Delta environments: REST and public WebSocket base URLs (from the reference doc)."""

from __future__ import annotations

import msgspec


class DeltaEnvironment(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    rest_url: str
    ws_private_url: str
    ws_public_url: str  # the new public endpoint when known, else the legacy socket
    ticker_channel: str = "ticker"


ENVIRONMENTS: dict[str, DeltaEnvironment] = {
    "india": DeltaEnvironment(name="india", rest_url="https://api.india.delta.exchange",
                              ws_private_url="wss://socket.india.delta.exchange",
                              ws_public_url="wss://public-socket.india.delta.exchange"),
    "india-testnet": DeltaEnvironment(name="india-testnet", rest_url="https://cdn-ind.testnet.deltaex.org",
                                      ws_private_url="wss://socket-ind.testnet.deltaex.org",
                                      ws_public_url="wss://socket-ind-pub.testnet.deltaex.org"),
    # the new public socket is UNVERIFIED for global: use the legacy socket and its channel name
    "global": DeltaEnvironment(name="global", rest_url="https://api.delta.exchange",
                               ws_private_url="wss://socket.delta.exchange",
                               ws_public_url="wss://socket.delta.exchange", ticker_channel="v2/ticker"),
    "global-testnet": DeltaEnvironment(name="global-testnet", rest_url="https://testnet-api.delta.exchange",
                                       ws_private_url="wss://testnet-socket.delta.exchange",
                                       ws_public_url="wss://testnet-socket.delta.exchange",
                                       ticker_channel="v2/ticker"),
}


def resolve_environment(name: str, *, base_url: str = "", ws_url: str = "") -> DeltaEnvironment:
    try:
        env = ENVIRONMENTS[name]
    except KeyError:
        raise ValueError(f"unknown Delta environment {name!r}; expected one of {sorted(ENVIRONMENTS)}") from None
    changes: dict[str, str] = {}
    if base_url:
        changes["rest_url"] = base_url.rstrip("/")
    if ws_url:
        changes["ws_public_url"] = ws_url
        changes["ticker_channel"] = "ticker"
    return msgspec.structs.replace(env, **changes) if changes else env
