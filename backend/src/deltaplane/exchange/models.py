"""Models of the exchange area (imported by the migration environment to see the metadata)."""

from deltaplane.exchange.paper.store import PaperExchangeState

__all__ = ["PaperExchangeState"]
