"""Live Delta Exchange adapter: signing, REST client, WebSocket ticker stream."""

from deltaplane.exchange.delta.environments import ENVIRONMENTS, DeltaEnvironment, resolve_environment
from deltaplane.exchange.delta.exchange import ConnectionReport, DeltaExchange, delta_exchange_from_settings
from deltaplane.exchange.delta.ratelimit import RateBudget, endpoint_weight
from deltaplane.exchange.delta.rest import DeltaRestClient
from deltaplane.exchange.delta.signing import prehash, sign

__all__ = ["ENVIRONMENTS", "ConnectionReport", "DeltaEnvironment", "DeltaExchange", "DeltaRestClient", "RateBudget",
           "delta_exchange_from_settings", "endpoint_weight", "prehash", "resolve_environment", "sign"]
