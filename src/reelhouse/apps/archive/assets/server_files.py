"""Server-side files: only below the import roots, and never by a path that leads out of them."""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from reelhouse.platform.errors import Forbidden, InvalidInput, NotFound

HASH_CHUNK_BYTES = 4 * 1024 * 1024
# Linux's NAME_MAX and PATH_MAX (macOS and Windows allow less or the same).
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 4096
NO_ROOTS = "no import roots are configured (REELHOUSE_IMPORT_ROOTS)"


@dataclass(frozen=True)
class ServerFile:
    path: Path
    size: int
    mtime: datetime


class ImportRoots:
    """The folders an instance may read files from, as configured (``REELHOUSE_IMPORT_ROOTS``)."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = [root.resolve() for root in roots]

    def first(self) -> Path:
        """The first root (where a file dialog opens); ``Forbidden`` when none is configured."""
        if not self.roots:
            raise Forbidden(NO_ROOTS, field="path")
        return self.roots[0]

    def resolve(self, raw: str) -> Path:
        """The real path of ``raw`` if it lies below a root; ``..`` and symlinks are followed
        first, so neither can lead out. Anything else is ``Forbidden``."""
        if not self.roots:
            raise Forbidden(NO_ROOTS, field="path")
        if "\x00" in raw or not raw.strip():
            raise InvalidInput("not a usable path", field="path")
        candidate = Path(raw)
        if not candidate.is_absolute():
            raise InvalidInput("give an absolute server path", field="path")
        _require_usable_length(raw, candidate)
        real = Path(os.path.realpath(candidate))
        if not any(real == root or real.is_relative_to(root) for root in self.roots):
            raise Forbidden(f"{raw} is outside the import roots", field="path")
        return real

    def regular_file(self, raw: str) -> ServerFile:
        path = self.resolve(raw)
        if not path.exists():
            raise NotFound("file", raw)
        if not path.is_file():
            raise InvalidInput(f"{raw} is not a regular file", field="path")
        return server_file(path)

    def directory(self, raw: str) -> Path:
        path = self.resolve(raw)
        if not path.is_dir():
            raise InvalidInput(f"{raw} is not a folder", field="path")
        return path

    def walk(self, folder: Path, include: Sequence[str], recursive: bool) -> Iterator[Path]:
        """Files below ``folder`` matching ``include`` (all if empty), in name order; symlinks
        that lead out of the roots are left out."""
        for current, folders, files in os.walk(folder, followlinks=False):
            folders.sort()
            if not recursive:
                folders.clear()
            for name in sorted(files):
                if include and not any(fnmatch.fnmatch(name, pattern) for pattern in include):
                    continue
                path = Path(current) / name
                real = Path(os.path.realpath(path))
                inside = any(real.is_relative_to(root) for root in self.roots)
                if inside and real.is_file():
                    yield real


def _require_usable_length(raw: str, path: Path) -> None:
    """Refuse what the file system would refuse with ENAMETOOLONG, naming the path."""
    longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
    if longest > MAX_NAME_BYTES:
        raise InvalidInput(
            f"{raw}: a path component is {longest} bytes, more than {MAX_NAME_BYTES} bytes",
            field="path",
        )
    if len(os.fsencode(raw)) >= MAX_PATH_BYTES:
        raise InvalidInput(f"{raw}: longer than {MAX_PATH_BYTES} bytes", field="path")


def server_file(path: Path) -> ServerFile:
    status = path.stat()
    return ServerFile(path, status.st_size, datetime.fromtimestamp(status.st_mtime, UTC))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def parse_roots(configured: str) -> list[Path]:
    return [Path(part) for part in configured.replace(os.pathsep, ",").split(",") if part.strip()]
