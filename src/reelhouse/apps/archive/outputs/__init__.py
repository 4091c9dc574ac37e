"""Outputs: derived files any app writes (datasets, sidecars, thumbnails, models)."""
