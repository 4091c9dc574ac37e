"""A real S3 endpoint for tests: moto's server in a subprocess, spoken to over HTTP."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from pydantic import SecretStr

from reelhouse.settings import Settings
from tests.services import free_port

REGION = "us-east-1"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto S3 server in a subprocess on a free loopback port; yields its URL."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        pytest.skip("moto[server] is not installed: pip install 'moto[server]'")
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(server, url, log)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_until_answering(server: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"moto_server exited with {server.returncode}: {log.read_text()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"moto_server did not answer on {url} within 30 s: {log.read_text()}")


def make_bucket(endpoint: str) -> str:
    name = f"reelhouse-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=name)
    return name


def settings_on_s3(settings: Settings, endpoint: str, bucket: str | None = None) -> Settings:
    """``settings`` storing content in a bucket of the moto server (a new one unless given)."""
    return settings.model_copy(
        update={
            "storage_backend": "s3",
            "s3_bucket": bucket or make_bucket(endpoint),
            "s3_region": REGION,
            "s3_endpoint_url": endpoint,
            "s3_access_key": SecretStr(CREDENTIALS["access_key"]),
            "s3_secret_key": SecretStr(CREDENTIALS["secret_key"]),
        }
    )
