"""Logging in, and managing the users and API keys of one's own organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from reelhouse.platform.auth.credentials import (
    generate_api_key,
    hash_password,
    issue_access_token,
    verify_password,
)
from reelhouse.platform.auth.models import ApiKey, Organization, Role, User
from reelhouse.platform.auth.principal import Principal
from reelhouse.platform.auth.repository import ApiKeyRepository, UserRepository
from reelhouse.platform.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyUpdate,
    TokenRead,
    UserCreate,
    UserUpdate,
)
from reelhouse.platform.auth.throttle import LoginThrottle
from reelhouse.platform.db import utcnow
from reelhouse.platform.errors import Conflict, InvalidInput, Unauthorized
from reelhouse.platform.events import Event, EventBus, Subject, publish_after_commit
from reelhouse.platform.pagination import PageRequest, TimeRange, contains, within

USER_SORTS = ("created_at", "email", "role", "updated_at")
API_KEY_SORTS = ("created_at", "name")


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    organization: str | None,
    throttle: LoginThrottle,
    address: str | None,
    secret: str,
    lifetime: timedelta,
) -> TokenRead:
    """A token for the account with this email and password; one vague error for every failure.

    An email may have an account in several organizations: the password picks the one it opens,
    and ``organization`` (a name) chooses where it opens several.
    """
    email = email.strip().lower()
    await throttle.check(email, address)
    # Unscoped by necessity: the email is what tells us the organization.
    statement = select(User).where(User.email == email)
    if organization:
        statement = statement.join(Organization, Organization.id == User.org_id).where(
            Organization.name == organization
        )
    accounts = (await session.scalars(statement.order_by(User.created_at))).all()
    if not accounts:
        verify_password(password, None)
    opened = [
        user
        for user in accounts
        if verify_password(password, user.password_hash) and user.is_active
    ]
    if not opened:
        await throttle.failed(email, address)
        raise Unauthorized("wrong email or password")
    await throttle.succeeded(email)
    if len(opened) > 1:
        raise Unauthorized(
            "this email and password open accounts in several organizations: "
            "name one in the organization field"
        )
    user = opened[0]
    user.last_login_at = utcnow()
    token, expires_at = issue_access_token(
        user.id, user.org_id, secret, lifetime, token_version=user.token_version
    )
    return TokenRead(access_token=token, expires_at=expires_at)


class UserService:
    def __init__(self, session: AsyncSession, principal: Principal, bus: EventBus) -> None:
        self.session = session
        self.principal = principal
        self.bus = bus
        self.users = UserRepository(session, principal.org_id)

    async def get(self, user_id: uuid.UUID) -> User:
        return await self.users.get(user_id)

    async def list(
        self,
        page: PageRequest,
        created: TimeRange,
        *,
        role: Role | None = None,
        is_active: bool | None = None,
        search: str | None = None,
    ) -> tuple[Sequence[User], int]:
        statement = within(self.users.select(), User.created_at, created.start, created.end)
        if role is not None:
            statement = statement.where(User.role == role)
        if is_active is not None:
            statement = statement.where(User.is_active.is_(is_active))
        if search:
            statement = statement.where(
                or_(contains(User.email, search), contains(User.full_name, search))
            )
        return await self.users.paginate(statement, page, sortable=USER_SORTS)

    async def create(self, body: UserCreate) -> User:
        # Within the organization only: whether another one has this email is none of its business.
        if await self.users.get_or_none_by_email(body.email) is not None:
            raise Conflict(f"a user with email {body.email} already exists", field="email")
        user = await self.users.create(
            email=body.email,
            password_hash=hash_password(body.password.get_secret_value()),
            full_name=body.full_name,
            role=body.role,
        )
        self._publish("user.created", user)
        return user

    async def update(self, user: User, body: UserUpdate) -> User:
        changes = body.model_dump(exclude_unset=True, exclude={"password"})
        if (body.role is not None and body.role != Role.admin) or body.is_active is False:
            await self._keep_an_admin(user)
        if body.password is not None:
            changes["password_hash"] = hash_password(body.password.get_secret_value())
        if body.password is not None or (body.is_active is False and user.is_active):
            changes["token_version"] = user.token_version + 1
        await self.users.update(user, **changes)
        self._publish("user.updated", user)
        return user

    async def deactivate(self, user: User) -> User:
        await self._keep_an_admin(user)
        if user.is_active:
            await self.users.update(user, is_active=False, token_version=user.token_version + 1)
        self._publish("user.deactivated", user)
        return user

    async def _keep_an_admin(self, user: User) -> None:
        """Refuse a change that would leave the organization with no active admin."""
        if (
            user.role == Role.admin
            and user.is_active
            and await self.users.count_active_admins() <= 1
        ):
            raise Conflict("an organization keeps at least one active admin")

    def _publish(self, name: str, user: User) -> None:
        event = Event(
            event=name,
            org_id=user.org_id,
            subject=Subject("user", user.id),
            data={"email": user.email, "role": user.role.value, "is_active": user.is_active},
        )
        publish_after_commit(self.session, self.bus, "users", event)


class ApiKeyService:
    def __init__(self, session: AsyncSession, principal: Principal, bus: EventBus) -> None:
        self.session = session
        self.principal = principal
        self.bus = bus
        self.keys = ApiKeyRepository(session, principal.org_id)

    async def get(self, key_id: uuid.UUID) -> ApiKey:
        return await self.keys.get(key_id)

    async def list(
        self, page: PageRequest, *, is_active: bool | None = None
    ) -> tuple[Sequence[ApiKey], int]:
        statement = self.keys.select()
        if is_active is not None:
            statement = statement.where(ApiKey.is_active.is_(is_active))
        return await self.keys.paginate(statement, page, sortable=API_KEY_SORTS)

    async def create(self, body: ApiKeyCreate) -> ApiKeyCreated:
        if body.expires_at is not None and body.expires_at <= utcnow():
            raise InvalidInput("expires_at is in the past", field="expires_at")
        material = generate_api_key()
        key = await self.keys.create(
            name=body.name,
            prefix=material.prefix,
            key_hash=material.key_hash,
            role=body.role,
            expires_at=body.expires_at,
            created_by_id=self.principal.user_id,
        )
        self._publish("api_key.created", key)
        read = ApiKeyRead.model_validate(key)
        return ApiKeyCreated(**read.model_dump(), key=material.secret)

    async def update(self, key: ApiKey, body: ApiKeyUpdate) -> ApiKey:
        await self.keys.update(key, **body.model_dump(exclude_unset=True, exclude_none=True))
        self._publish("api_key.updated", key)
        return key

    async def revoke(self, key: ApiKey) -> ApiKey:
        await self.keys.update(key, is_active=False)
        self._publish("api_key.revoked", key)
        return key

    def _publish(self, name: str, key: ApiKey) -> None:
        event = Event(
            event=name,
            org_id=key.org_id,
            subject=Subject("api_key", key.id),
            data={"name": key.name, "role": key.role.value},
        )
        publish_after_commit(self.session, self.bus, "api_keys", event)
