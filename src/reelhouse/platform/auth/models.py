"""Organizations, their users and their API keys."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelhouse.platform.db import Base, enum_column
from reelhouse.platform.repository import OrgOwned


class Role(enum.StrEnum):
    """What a principal may do in its organization, from most to least."""

    admin = "admin"
    member = "member"
    viewer = "viewer"

    def includes(self, required: Role) -> bool:
        order = [Role.viewer, Role.member, Role.admin]
        return order.index(self) >= order.index(required)


class Organization(Base):
    __tablename__ = "organizations"

    name: Mapped[str] = mapped_column(String(200), unique=True)


class User(OrgOwned):
    """An account of one organization. The same email may have an account in several
    organizations, each its own (password, role), so no organization learns of another's."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("org_id", "email"),)

    email: Mapped[str] = mapped_column(String(320), index=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The instance administrator creates organizations; every other power stops at the org.
    is_instance_admin: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None]
    # Raised when the password changes or the account is deactivated: tokens carry the version
    # they were issued under, so the older ones stop working at once.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")


class ApiKey(OrgOwned):
    """A machine's credential (a telemetry source, a transcription worker) with its own role."""

    __tablename__ = "api_keys"

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
