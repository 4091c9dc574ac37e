"""The example app's own settings, read from ``REELHOUSE_EXAMPLE_*``."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from reelhouse.settings import AppSettings


class ExampleSettings(AppSettings):
    model_config = SettingsConfigDict(env_prefix="REELHOUSE_EXAMPLE_")

    greeting: str = "hello"
