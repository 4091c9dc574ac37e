"""Resumable uploads: init, ranged PUTs, status, commit into an asset, expiry."""
