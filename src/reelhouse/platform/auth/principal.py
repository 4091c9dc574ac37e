"""Who is calling: a user or an API key, always inside one organization, with one role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.auth.credentials import (
    hash_api_key,
    is_api_key,
    read_access_token,
)
from reelhouse.platform.auth.models import ApiKey, Role, User
from reelhouse.platform.db import utcnow
from reelhouse.platform.errors import Forbidden, Unauthorized

# Recording every use of a key would write on every request; once a minute tells enough.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    org_id: uuid.UUID
    role: Role
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    is_instance_admin: bool = False

    def require(self, role: Role) -> None:
        if not self.role.includes(role):
            raise Forbidden(f"this action needs the {role.value} role; you have {self.role.value}")

    def require_instance_admin(self) -> None:
        if not self.is_instance_admin:
            raise Forbidden("this action needs the instance administrator")


async def authenticate(session: AsyncSession, credential: str, secret: str) -> Principal:
    """The principal behind a bearer credential (JWT or ``rh_`` API key), or ``Unauthorized``."""
    if is_api_key(credential):
        return await _authenticate_api_key(session, credential)
    claims = read_access_token(credential, secret)
    # Deliberately unscoped: the token names the organization, and we check it matches the user.
    user = await session.get(User, claims.user_id)
    if user is None or user.org_id != claims.org_id or not user.is_active:
        raise Unauthorized("invalid token")
    if claims.token_version != user.token_version:
        raise Unauthorized("token revoked: the password changed or the account was deactivated")
    return Principal(
        org_id=user.org_id,
        role=user.role,
        user_id=user.id,
        is_instance_admin=user.is_instance_admin,
    )


async def _authenticate_api_key(session: AsyncSession, secret: str) -> Principal:
    # Unscoped by necessity: the key is what tells us the organization.
    key = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(secret)))
    now = utcnow()
    if key is None or not key.is_active:
        raise Unauthorized("invalid API key")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthorized("API key expired")
    if key.last_used_at is None or now - key.last_used_at > _LAST_USED_RESOLUTION:
        key.last_used_at = now
    return Principal(org_id=key.org_id, role=key.role, api_key_id=key.id)
