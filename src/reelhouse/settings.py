"""Settings read from the environment (prefix ``REELHOUSE_``) and the data folder."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_LENGTH = 32
INSTALLED_APPS = "reelhouse.apps:INSTALLED_APPS"
SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


class AppSettings(BaseSettings):
    """The base of an app's own settings; each app sets its prefix, ``REELHOUSE_<APP>_``."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)


AppSettingsT = TypeVar("AppSettingsT", bound=AppSettings)


class Settings(BaseSettings):
    """Everything configurable; the defaults give the embedded mode (SQLite, local files)."""

    model_config = SettingsConfigDict(env_prefix="REELHOUSE_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = None
    auto_migrate: bool | None = Field(
        default=None,
        description="Migrate on start; defaults to on for SQLite (embedded) and off otherwise.",
    )
    redis_url: str | None = None
    broker_url: str | None = None
    secret_key: SecretStr | None = None
    access_token_minutes: int = Field(default=60, ge=1, le=60 * 24 * 30)
    admin_email: str | None = None
    admin_password: SecretStr | None = None
    admin_organization: str = "Default"
    ws_queue_size: int = Field(default=256, ge=1)
    apps: str = Field(
        default=INSTALLED_APPS,
        description="The installed apps: a module and the name of its list of app manifests.",
    )
    storage_backend: Literal["local", "s3"] = "local"
    s3_bucket: str | None = None
    s3_region: str | None = None
    s3_endpoint_url: str | None = None
    s3_access_key: SecretStr | None = None
    s3_secret_key: SecretStr | None = None
    s3_prefix: str = ""
    job_executor: Literal["local", "celery"] = "local"
    celery_queue_prefix: str = Field(
        default="reelhouse",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$",
        description="The Celery queues are PREFIX.high, .default and .low: deployments sharing "
        "one broker each take only their own jobs.",
    )
    job_workers: int = Field(default=8, ge=0, description="Jobs this process runs at once (local).")
    job_process_workers: int = Field(
        default=0, ge=0, description="CPU worker processes; 0: one per core."
    )
    job_fast_writes: bool = Field(
        default=True,
        description="Claims by id and successes through the database driver, batched; off: "
        "every job write through SQLAlchemy (half the rate, for comparison and diagnosis).",
    )
    job_poll_seconds: float = Field(default=0.5, gt=0)
    job_heartbeat_seconds: float = Field(default=5.0, gt=0)
    job_stale_after_seconds: float = Field(default=30.0, gt=0)
    job_redeliver_after_seconds: float = Field(default=60.0, gt=0)
    job_sweep_seconds: float = Field(default=5.0, gt=0)
    job_retry_base_seconds: float = Field(default=2.0, ge=0)
    job_stop_grace_seconds: float = Field(
        default=2.0, ge=0, description="How long a stopping worker lets running jobs finish."
    )
    scheduler_tick_seconds: float = Field(default=1.0, gt=0)
    task_modules: str = Field(default="", description="Extra comma-separated modules with tasks.")
    public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description="Where clients reach this service (https://host[/prefix]); links in answers "
        "use it rather than the request's Host header.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Wrong passwords in a row before login backs off."
    )
    login_backoff_seconds: float = Field(
        default=1.0, ge=0, description="First login backoff, doubled per further failure."
    )
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"
    _app_settings: dict[type[AppSettings], AppSettings] = PrivateAttr(default_factory=dict)

    @field_validator("secret_key")
    @classmethod
    def _refuse_weak_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters")
        return value

    @model_validator(mode="after")
    def _celery_needs_a_broker(self) -> Settings:
        if self.job_executor == "celery" and not self.broker_url:
            raise ValueError("REELHOUSE_JOB_EXECUTOR=celery needs REELHOUSE_BROKER_URL")
        return self

    @field_validator("admin_password")
    @classmethod
    def _refuse_short_admin_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 8:
            raise ValueError("must be at least 8 characters")
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL: the configured one, or a SQLite file in the data folder."""
        if self.database_url is None:
            return f"sqlite+aiosqlite:///{(self.data_dir / 'reelhouse.db').resolve()}"
        return to_async_url(self.database_url)

    @property
    def extra_task_modules(self) -> list[str]:
        return [module.strip() for module in self.task_modules.split(",") if module.strip()]

    def app(self, kind: type[AppSettingsT]) -> AppSettingsT:
        """An app's own settings: as given to ``with_app_settings``, or read from the environment
        once."""
        found = self._app_settings.get(kind)
        if found is None:
            found = self._app_settings[kind] = kind()
        assert isinstance(found, kind)
        return found

    def with_app_settings(self, *given: AppSettings) -> Settings:
        """A copy of these settings with some apps' settings given rather than read."""
        copy = self.model_copy()
        copy._app_settings = {**self._app_settings, **{type(each): each for each in given}}
        return copy

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def migrates_on_start(self) -> bool:
        return self.is_sqlite if self.auto_migrate is None else self.auto_migrate

    @cached_property
    def jwt_secret(self) -> str:
        """The configured secret, or one generated once and kept (0600) in the data folder."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / SECRET_KEY_FILE
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        generated = secrets.token_urlsafe(48)
        write_private_file(path, generated + "\n")
        return generated


def to_async_url(url: str) -> str:
    """Accept the URLs people paste (``postgresql://``, ``sqlite:///``) and pick async drivers."""
    for plain, async_driver in (
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return async_driver + url[len(plain) :]
    return url


def write_private_file(path: Path, text: str) -> None:
    """Write a file only its owner can read, created with mode 0600 from the start."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)
