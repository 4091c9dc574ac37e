"""A local path to read any asset or output from, wherever its bytes live."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from reelhouse.platform.storage import Storage

# A suffix longer than this is no extension a profiler knows.
MAX_SUFFIX_LENGTH = 16


@contextlib.asynccontextmanager
async def readable_copy(
    storage: Storage, storage_key: str | None, path: str | None, name: str = ""
) -> AsyncIterator[Path]:
    """A local path to read: the registered file, the stored object in place, or a download.

    Stored objects are named by their content, so the path given for one ends in the extension
    of ``name`` (a link to the object in place, or the download's own name): profilers that
    know a kind of file by its extension only (CSV, and those of other apps) recognise it.
    """
    if path is not None:
        yield Path(path)
        return
    assert storage_key is not None
    suffix = Path(name).suffix
    if len(suffix) > MAX_SUFFIX_LENGTH or "/" in suffix:
        suffix = ""
    in_place = storage.local_path(storage_key)
    if in_place is not None and not in_place.exists():
        raise FileNotFoundError(storage_key)
    with tempfile.TemporaryDirectory(prefix="reelhouse-index-") as folder:
        local = Path(folder) / f"content{suffix}"
        if in_place is None:
            await storage.download_to(storage_key, local)
        elif suffix:
            local.symlink_to(in_place)
        else:
            local = in_place
        yield local
