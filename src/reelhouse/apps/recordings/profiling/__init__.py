"""Readers of robot logs' own summaries and indexes, into the archive's profiles."""
