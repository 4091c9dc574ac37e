"""The dashboard: what the archive and the jobs hold, how it changes, what is stuck."""
