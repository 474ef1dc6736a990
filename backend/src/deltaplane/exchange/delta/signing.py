"""Delta Exchange request signing (pure).

signature = lowercase hex HMAC-SHA256(secret, METHOD + timestamp + path + query + body), where the
query carries its leading '?' (empty when none) and the body is the exact JSON text sent.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode

SIGNATURE_VALIDITY_S = 5


def prehash(method: str, timestamp: str, path: str, query: str = "", body: str = "") -> str:
    if query and not query.startswith("?"):
        raise ValueError("query must be empty or start with '?'")
    return f"{method.upper()}{timestamp}{path}{query}{body}"


def sign(secret: str, method: str, timestamp: str, path: str, query: str = "", body: str = "") -> str:
    message = prehash(method, timestamp, path, query, body)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, signature: str, method: str, timestamp: str, path: str, query: str = "",
           body: str = "") -> bool:
    return hmac.compare_digest(sign(secret, method, timestamp, path, query, body), signature.lower())


def query_string(params: dict[str, object] | None) -> str:
    """'?a=1&b=x,y' with the leading '?', or '' when there are no parameters (commas stay literal)."""
    if not params:
        return ""
    clean = {k: ("true" if v is True else "false" if v is False else v) for k, v in params.items() if v is not None}
    return "?" + urlencode(clean, safe=",") if clean else ""


def ws_auth_signature(secret: str, timestamp: str) -> str:
    """Private WebSocket key-auth: HMAC over "GET" + timestamp + "/live"."""
    return sign(secret, "GET", timestamp, "/live")
