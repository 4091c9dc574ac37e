"""Login backoff: after wrong passwords in a row an account, or an address, waits to try again."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as redis_asyncio

from reelhouse.platform.errors import ReelhouseError
from reelhouse.settings import Settings

MAX_BACKOFF_SECONDS = 15 * 60
# One address may be many people (an office behind NAT), so it fails more before it waits.
ADDRESS_FAILURE_FACTOR = 4
_MEMORY_ENTRIES = 10_000
_REDIS_PREFIX = "reelhouse:login:"


class LoginThrottled(ReelhouseError):
    status_code = 429
    slug = "too-many-attempts"
    title = "Too many login attempts"

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(f"too many failed logins; try again in {seconds} s", retry_after=seconds)
        self.headers = {"Retry-After": str(seconds)}


@dataclass(frozen=True)
class Backoff:
    """No wait for the first ``max_failures - 1`` failures, then ``base_seconds`` doubled per
    further failure, at most ``MAX_BACKOFF_SECONDS``."""

    max_failures: int
    base_seconds: float

    def delay(self, failures: int) -> float:
        if failures < self.max_failures:
            return 0.0
        exponent = min(failures - self.max_failures, 32)
        return float(min(MAX_BACKOFF_SECONDS, self.base_seconds * 2**exponent))


class FailureStore(Protocol):
    async def locked_until(self, key: str) -> float:
        """The time (``time.time()``) before which ``key`` may not try; 0 when it may."""

    async def add_failure(self, key: str, backoff: Backoff) -> None: ...

    async def reset(self, key: str) -> None: ...


class MemoryFailureStore:
    """The embedded server's: one process, so its own memory is the truth; bounded in size."""

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[int, float]] = OrderedDict()

    async def locked_until(self, key: str) -> float:
        return self._entries.get(key, (0, 0.0))[1]

    async def add_failure(self, key: str, backoff: Backoff) -> None:
        failures = self._entries.pop(key, (0, 0.0))[0] + 1
        self._entries[key] = (failures, time.time() + backoff.delay(failures))
        while len(self._entries) > _MEMORY_ENTRIES:
            self._entries.popitem(last=False)

    async def reset(self, key: str) -> None:
        self._entries.pop(key, None)


class RedisFailureStore:
    """Shared by every server on one Redis, so that a guesser gains nothing by spreading its
    attempts over them. A connection per call: logins are rare and this keeps no client open."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def locked_until(self, key: str) -> float:
        async with redis_asyncio.Redis.from_url(self.url) as client:
            until = await client.hget(_REDIS_PREFIX + key, "until")
        return 0.0 if until is None else float(until)

    async def add_failure(self, key: str, backoff: Backoff) -> None:
        name = _REDIS_PREFIX + key
        async with redis_asyncio.Redis.from_url(self.url) as client:
            failures = int(await client.hincrby(name, "failures", 1))
            delay = backoff.delay(failures)
            await client.hset(name, "until", str(time.time() + delay))
            # Forgotten after a quiet spell as long as the longest wait.
            await client.expire(name, int(delay) + MAX_BACKOFF_SECONDS)

    async def reset(self, key: str) -> None:
        async with redis_asyncio.Redis.from_url(self.url) as client:
            await client.delete(_REDIS_PREFIX + key)


class LoginThrottle:
    """Counts failed logins per account and per address; refuses either while it waits."""

    def __init__(self, store: FailureStore, backoff: Backoff) -> None:
        self.store = store
        self.account_backoff = backoff
        self.address_backoff = Backoff(
            backoff.max_failures * ADDRESS_FAILURE_FACTOR, backoff.base_seconds
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginThrottle:
        store: FailureStore = (
            RedisFailureStore(settings.redis_url) if settings.redis_url else MemoryFailureStore()
        )
        return cls(store, Backoff(settings.login_max_failures, settings.login_backoff_seconds))

    async def check(self, email: str, address: str | None) -> None:
        """Raise ``LoginThrottled`` while the account or the address has to wait."""
        until = await self.store.locked_until(_account(email))
        if address is not None:
            until = max(until, await self.store.locked_until(_address(address)))
        remaining = until - time.time()
        if remaining > 0:
            raise LoginThrottled(remaining)

    async def failed(self, email: str, address: str | None) -> None:
        await self.store.add_failure(_account(email), self.account_backoff)
        if address is not None:
            await self.store.add_failure(_address(address), self.address_backoff)

    async def succeeded(self, email: str) -> None:
        # Only the account's: an address's count survives, or one valid login would reset a
        # guesser's count at every turn.
        await self.store.reset(_account(email))


def _account(email: str) -> str:
    return "account:" + email.strip().lower()


def _address(address: str) -> str:
    return "address:" + address
