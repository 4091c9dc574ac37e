"""Content storage on a local folder and on S3 (a real moto server over HTTP), the same stories."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

import httpx
import pytest
from botocore.exceptions import ClientError

from reelhouse.platform.storage import (
    LocalStorage,
    S3Storage,
    Storage,
    content_key,
    create_storage,
)
from tests.s3_server import CREDENTIALS, REGION, make_bucket

CONTENT = bytes(range(256)) * 40 + b"the end"


def s3_storage(endpoint: str, bucket: str, prefix: str = "") -> S3Storage:
    return S3Storage(bucket, region=REGION, endpoint_url=endpoint, prefix=prefix, **CREDENTIALS)


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "objects")
    endpoint: str = request.getfixturevalue("moto_endpoint")
    return s3_storage(endpoint, make_bucket(endpoint), prefix="tenant-a")


def write_source(folder: Path, content: bytes) -> Path:
    source = folder / f"upload-{uuid.uuid4().hex}"
    source.write_bytes(content)
    return source


async def read_all(storage: Storage, key: str, **span: int) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key, **span)])


async def stored(storage: Storage, tmp_path: Path, key: str, content: bytes = CONTENT) -> str:
    await storage.put_file(key, write_source(tmp_path, content))
    return key


async def test_a_stored_file_reads_back_whole_and_by_ranges(
    storage: Storage, tmp_path: Path
) -> None:
    source = write_source(tmp_path, CONTENT)

    await storage.put_file("clips/take-1.bin", source)

    assert not source.exists()
    last = len(CONTENT) - 1
    assert await read_all(storage, "clips/take-1.bin") == CONTENT
    assert await read_all(storage, "clips/take-1.bin", start=0, end=0) == CONTENT[:1]
    assert await read_all(storage, "clips/take-1.bin", start=100, end=355) == CONTENT[100:356]
    assert await read_all(storage, "clips/take-1.bin", start=last, end=last) == CONTENT[-1:]
    assert await read_all(storage, "clips/take-1.bin", start=5000) == CONTENT[5000:]
    assert await read_all(storage, "clips/take-1.bin", start=last, end=last + 99) == CONTENT[-1:]
    assert await read_all(storage, "clips/take-1.bin", start=last + 1) == b""


async def test_size_exists_and_delete(storage: Storage, tmp_path: Path) -> None:
    key = await stored(storage, tmp_path, "a/b.bin")

    assert await storage.exists(key)
    assert await storage.size(key) == len(CONTENT)
    await storage.delete(key)

    assert not await storage.exists(key)
    assert await storage.size(key) is None
    await storage.delete(key)


async def test_an_absent_object_cannot_be_read_or_downloaded(
    storage: Storage, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        await read_all(storage, "nothing/here")
    with pytest.raises(FileNotFoundError):
        await storage.download_to("nothing/here", tmp_path / "copy")


async def test_an_empty_file_reads_as_empty(storage: Storage, tmp_path: Path) -> None:
    key = await stored(storage, tmp_path, "empty", b"")

    assert await storage.size(key) == 0
    assert await read_all(storage, key) == b""


async def test_download_to_copies_the_object(storage: Storage, tmp_path: Path) -> None:
    key = await stored(storage, tmp_path, "reports/r.bin")

    await storage.download_to(key, tmp_path / "copy.bin")

    assert (tmp_path / "copy.bin").read_bytes() == CONTENT
    assert await storage.exists(key)


async def test_list_keys_by_prefix(storage: Storage, tmp_path: Path) -> None:
    digest = hashlib.sha256(CONTENT).hexdigest()
    keys = {content_key(digest), "sha256/00/11/other", "thumbs/x.png", "thumbs/y.png"}
    for key in keys:
        await stored(storage, tmp_path, key)

    assert {key async for key in storage.list_keys()} == keys
    assert {key async for key in storage.list_keys("thumbs/")} == {"thumbs/x.png", "thumbs/y.png"}
    assert {key async for key in storage.list_keys(f"sha256/{digest[:2]}")} == {content_key(digest)}
    assert {key async for key in storage.list_keys("nope/")} == set()


async def test_a_large_file_round_trips_in_bounded_chunks(storage: Storage, tmp_path: Path) -> None:
    content = os.urandom(12 * 1024 * 1024 + 123)
    key = content_key(hashlib.sha256(content).hexdigest())

    await storage.put_file(key, write_source(tmp_path, content))

    digest = hashlib.sha256()
    async for chunk in storage.read(key, chunk_size=1024 * 1024):
        assert len(chunk) <= 1024 * 1024
        digest.update(chunk)
    assert content_key(digest.hexdigest()) == key
    await storage.download_to(key, tmp_path / "copy")
    assert hashlib.sha256((tmp_path / "copy").read_bytes()).hexdigest() == key.rsplit("/")[-1]


async def test_check_answers_a_description(storage: Storage) -> None:
    assert await storage.check()


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a/../../b", "", "a//b", "a/./b", "a/"])
async def test_keys_cannot_escape_the_root(tmp_path: Path, key: str) -> None:
    local = LocalStorage(tmp_path / "objects")

    with pytest.raises(ValueError, match="invalid storage key"):
        await local.put_file(key, write_source(tmp_path, CONTENT))
    with pytest.raises(ValueError, match="invalid storage key"):
        await local.size(key)
    with pytest.raises(ValueError, match="invalid storage key"):
        local.local_path(key)


async def test_local_storage_serves_files_in_place_and_has_no_presigned_urls(
    tmp_path: Path,
) -> None:
    local = LocalStorage(tmp_path / "objects")
    key = await stored(local, tmp_path, "in/place.bin")

    assert local.local_path(key).read_bytes() == CONTENT
    assert await local.presigned_get(key) is None
    assert await local.presigned_put(key) is None


async def test_local_storage_moves_a_file_from_another_filesystem(tmp_path: Path) -> None:
    shm = Path("/dev/shm")  # noqa: S108 (a second filesystem, not a temporary-file pattern)
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second filesystem (/dev/shm) to move a file from")
    local = LocalStorage(tmp_path / "objects")
    source = write_source(shm, CONTENT)

    await local.put_file("moved.bin", source)

    assert not source.exists()
    assert await read_all(local, "moved.bin") == CONTENT
    assert {key async for key in local.list_keys()} == {"moved.bin"}


async def test_presigned_put_then_presigned_get_over_http(moto_endpoint: str) -> None:
    s3 = s3_storage(moto_endpoint, make_bucket(moto_endpoint))
    put_url = await s3.presigned_put("direct/upload.bin", expires_seconds=300)
    assert put_url is not None
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in put_url
    assert "X-Amz-Expires=300" in put_url

    async with httpx.AsyncClient() as http:
        uploaded = await http.put(put_url, content=CONTENT)
        assert uploaded.status_code == 200, uploaded.text
        assert await read_all(s3, "direct/upload.bin") == CONTENT

        get_url = await s3.presigned_get("direct/upload.bin", filename="take 1 é.bin")
        assert get_url is not None
        downloaded = await http.get(get_url)
    assert downloaded.status_code == 200
    assert downloaded.content == CONTENT
    assert downloaded.headers["content-disposition"] == (
        "attachment; filename=\"take 1 _.bin\"; filename*=UTF-8''take%201%20%C3%A9.bin"
    )


async def test_s3_prefix_keeps_keys_apart(moto_endpoint: str, tmp_path: Path) -> None:
    bucket = make_bucket(moto_endpoint)
    tenant_a = s3_storage(moto_endpoint, bucket, prefix="a")
    tenant_b = s3_storage(moto_endpoint, bucket, prefix="/b/")
    await stored(tenant_a, tmp_path, "same/key")

    assert await tenant_a.exists("same/key")
    assert not await tenant_b.exists("same/key")
    assert [key async for key in tenant_a.list_keys()] == ["same/key"]
    assert tenant_a.local_path("same/key") is None


async def test_s3_check_fails_on_a_missing_bucket(moto_endpoint: str) -> None:
    missing = s3_storage(moto_endpoint, f"missing-{uuid.uuid4().hex[:12]}")

    with pytest.raises(ClientError):
        await missing.check()


def test_content_key_is_sharded_by_the_first_two_bytes() -> None:
    digest = hashlib.sha256(b"x").hexdigest()

    assert content_key(digest) == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
    for bad in [digest.upper(), digest[:-1], digest + "0", "z" * 64]:
        with pytest.raises(ValueError, match="SHA-256"):
            content_key(bad)


def test_create_storage_builds_the_backend_asked_for(tmp_path: Path) -> None:
    assert isinstance(create_storage("local", root=tmp_path), LocalStorage)
    s3 = create_storage("s3", bucket="media", region=REGION, endpoint_url="http://127.0.0.1:9")
    assert isinstance(s3, S3Storage)
    with pytest.raises(ValueError, match="root"):
        create_storage("local")
    with pytest.raises(ValueError, match="bucket"):
        create_storage("s3")
    with pytest.raises(ValueError, match="unknown storage backend"):
        create_storage("ftp", root=tmp_path)
