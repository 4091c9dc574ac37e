"""Stored objects: the content-addressed bytes that assets and outputs share."""
