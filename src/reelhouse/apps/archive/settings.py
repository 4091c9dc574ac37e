"""The archive's own settings, ``REELHOUSE_ARCHIVE_*``; the earlier names without ``ARCHIVE_``
are still read."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from reelhouse.settings import AppSettings


def _env(name: str) -> AliasChoices:
    return AliasChoices(f"REELHOUSE_ARCHIVE_{name.upper()}", f"REELHOUSE_{name.upper()}")


class ArchiveSettings(AppSettings):
    model_config = SettingsConfigDict(env_prefix="REELHOUSE_ARCHIVE_")

    import_roots: str = Field(
        default="",
        validation_alias=_env("import_roots"),
        description="Folders (comma-separated) server-side files may be registered from.",
    )
    probe_max_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1, validation_alias=_env("probe_max_bytes")
    )
    desktop: bool = Field(
        default=False,
        validation_alias=_env("desktop"),
        description="A desktop install (native dialogs).",
    )
    dialog_timeout_seconds: float = Field(
        default=300,
        gt=0,
        validation_alias=_env("dialog_timeout_seconds"),
        description="How long a native file dialog waits for an answer.",
    )
