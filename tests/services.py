"""The real services and programs the suite uses, and what to do when one is absent."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
from typing import NoReturn
from urllib.parse import urlsplit

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "REELHOUSE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("REELHOUSE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def is_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


def require_service(name: str, url: str) -> None:
    """Skip a test whose service is absent, naming it; under CI=true, fail instead."""
    if not is_reachable(url):
        absent(f"{name} is not reachable at {url}", "services must be up")


def require_program(name: str, package: str) -> None:
    """Skip a test whose program is not installed, naming it; under CI=true, fail instead."""
    if shutil.which(name) is None:
        absent(f"{name} is not installed (apt-get install {package})", "programs must be installed")


def require_module(name: str, package: str) -> None:
    """Skip a test whose Python module cannot be imported; under CI=true, fail instead."""
    if importlib.util.find_spec(name) is None:
        absent(f"{name} is not installed (apt-get install {package})", "modules must be installed")


def absent(message: str, ci_rule: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (CI=true: {ci_rule})")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
