"""A local path to read any asset or output from, wherever its bytes live."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from reelhouse.platform.storage import Storage


@contextlib.asynccontextmanager
async def readable_copy(
    storage: Storage, storage_key: str | None, path: str | None
) -> AsyncIterator[Path]:
    """A local path to read: the registered file, the stored object in place, or a download."""
    if path is not None:
        yield Path(path)
        return
    assert storage_key is not None
    in_place = storage.local_path(storage_key)
    if in_place is not None:
        if not in_place.exists():
            raise FileNotFoundError(storage_key)
        yield in_place
        return
    with tempfile.TemporaryDirectory(prefix="reelhouse-index-") as folder:
        local = Path(folder) / "content"
        await storage.download_to(storage_key, local)
        yield local
