"""Queries of users and API keys, inside one organization."""

from __future__ import annotations

from sqlalchemy import func, select

from reelhouse.platform.auth.models import ApiKey, Role, User
from reelhouse.platform.repository import Repository


class UserRepository(Repository[User]):
    model = User
    kind = "user"

    async def get_or_none_by_email(self, email: str) -> User | None:
        return await self.session.scalar(self.select().where(User.email == email))

    async def count_active_admins(self) -> int:
        statement = (
            select(func.count())
            .select_from(User)
            .where(User.org_id == self.org_id, User.role == Role.admin, User.is_active.is_(True))
        )
        return int(await self.session.scalar(statement) or 0)


class ApiKeyRepository(Repository[ApiKey]):
    model = ApiKey
    kind = "API key"
