"""A database connection kept open for a stream of small job writes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class HeldConnection:
    """One connection kept open for a stream of small writes, used by one task at a time.

    Checking a connection out of the pool and back in (with its reset) costs more than a
    claim or an end itself; a busy worker writes through connections it keeps. After a
    failure the connection is dropped and the next use opens a new one.
    """

    def __init__(self, engine: AsyncEngine, *, write_lock: asyncio.Lock | None = None) -> None:
        self._engine = engine
        self._write_lock = write_lock
        self._lock = asyncio.Lock()
        self._connection: AsyncConnection | None = None

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[AsyncConnection]:
        """The connection, as the engine makes it (autocommit, for one guarded statement)."""
        async with self._lock, self._write_lock or contextlib.nullcontext():
            if self._connection is None:
                self._connection = await self._engine.connect()
            connection = self._connection
            try:
                yield connection
            except BaseException:
                self._connection = None
                with contextlib.suppress(Exception):
                    await connection.invalidate()
                raise

    async def close(self) -> None:
        async with self._lock:
            if self._connection is not None:
                connection, self._connection = self._connection, None
                await connection.close()
