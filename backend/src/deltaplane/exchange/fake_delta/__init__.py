"""Fake Delta Exchange server for tests and manual runs (loopback only)."""

from deltaplane.exchange.fake_delta.faults import Fault, Faults
from deltaplane.exchange.fake_delta.server import FakeDeltaServer

__all__ = ["Fault", "Faults", "FakeDeltaServer"]
