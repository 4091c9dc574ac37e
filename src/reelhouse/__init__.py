"""Reelhouse: an open-source backend for recorded data."""

__version__ = "0.1.0"
