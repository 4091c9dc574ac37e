"""The loop every background duty of the job machinery runs in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger("reelhouse.jobs")


async def repeat(
    step: Callable[[], Awaitable[Any]], interval_seconds: float, *, sleep_first: bool = False
) -> None:
    """Run ``step`` every ``interval_seconds`` until cancelled; a failing step is logged, and
    the next one tries again (the database may be back by then)."""
    if sleep_first:
        await asyncio.sleep(interval_seconds)
    while True:
        try:
            await step()
        except Exception:
            logger.exception(
                "background job duty failed; will try again", extra={"duty": step.__qualname__}
            )
        await asyncio.sleep(interval_seconds)
