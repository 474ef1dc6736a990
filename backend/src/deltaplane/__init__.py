"""Deltaplane: self-hosted control plane for an automated short-strangle options strategy."""

__version__ = "0.1.0"
