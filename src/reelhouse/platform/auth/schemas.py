"""Request and response bodies of the auth, user, API key and organization routes."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

from reelhouse.platform.auth.models import Role

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def normalize_email(value: str) -> str:
    """Emails are compared lower-case and trimmed; anything without one ``@`` is refused."""
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise ValueError("not an email address")
    return email


Email = Annotated[str, Field(max_length=320), AfterValidator(normalize_email)]
Password = Annotated[SecretStr, Field(min_length=8, max_length=256)]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_at: datetime


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    created_at: datetime


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    is_instance_admin: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None


class MeRead(BaseModel):
    """The caller: a user, or an API key acting for its organization."""

    organization: OrganizationRead
    role: Role
    user: UserRead | None
    api_key_id: uuid.UUID | None


class UserCreate(BaseModel):
    email: Email
    password: Password
    full_name: Name | None = None
    role: Role = Role.member


class UserUpdate(BaseModel):
    full_name: Name | None = None
    role: Role | None = None
    password: Password | None = None
    is_active: bool | None = None

    @field_validator("role", "password", "is_active")
    @classmethod
    def _left_out_not_null(cls, value: object) -> object:
        # ``None`` is the default meaning "unchanged"; a null sent explicitly has no meaning.
        if value is None:
            raise ValueError("leave the field out to keep it; it cannot be null")
        return value


class ApiKeyCreate(BaseModel):
    name: Name
    role: Role = Role.member
    expires_at: datetime | None = None


class ApiKeyUpdate(BaseModel):
    name: Name | None = None
    role: Role | None = None


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    is_active: bool
    created_by_id: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    """Shown once: the key itself is never stored, only its hash."""

    key: str


class OrganizationCreate(BaseModel):
    name: Name
    admin_email: Email
    admin_password: Password


class OrganizationCreated(BaseModel):
    organization: OrganizationRead
    admin: UserRead
