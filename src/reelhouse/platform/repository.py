"""Repository[M]: the queries every app needs, scoped to one organization by default."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, ForeignKey, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from reelhouse.platform.db import Base, utcnow
from reelhouse.platform.errors import NotFound
from reelhouse.platform.pagination import PageRequest


class OrgOwned(Base):
    """Base of every table whose rows belong to an organization (all of them, but organizations)."""

    __abstract__ = True

    org_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )


OwnedT = TypeVar("OwnedT", bound=OrgOwned)


class Repository(Generic[OwnedT]):
    """Reads and writes rows of one model inside one organization; others' rows do not exist."""

    model: type[OwnedT]
    kind: str = "resource"

    def __init__(self, session: AsyncSession, org_id: uuid.UUID) -> None:
        self.session = session
        self.org_id = org_id

    def select(self) -> Select[OwnedT]:
        """The base statement every query starts from: this organization's rows only."""
        return select(self.model).where(self.model.org_id == self.org_id)

    async def get_or_none(self, row_id: uuid.UUID) -> OwnedT | None:
        result = await self.session.execute(self.select().where(self.model.id == row_id))
        return result.scalar_one_or_none()

    async def get(self, row_id: uuid.UUID) -> OwnedT:
        """The row, or ``NotFound``; a row of another organization is reported the same way."""
        row = await self.get_or_none(row_id)
        if row is None:
            raise NotFound(self.kind, row_id)
        return row

    async def list(self, statement: Select[OwnedT] | None = None) -> Sequence[OwnedT]:
        result = await self.session.execute(statement if statement is not None else self.select())
        return result.scalars().all()

    async def latest(
        self, condition: ColumnElement[bool], by: InstrumentedAttribute[Any], limit: int
    ) -> Sequence[OwnedT]:
        """At most ``limit`` rows matching ``condition``, the newest by ``by`` first."""
        return await self.list(self.select().where(condition).order_by(by.desc()).limit(limit))

    async def paginate(
        self,
        statement: Select[OwnedT],
        page: PageRequest,
        sortable: tuple[str, ...] = ("-created_at",),
    ) -> tuple[Sequence[OwnedT], int]:
        """One page of ``statement`` (which must start from ``select()``) and the total count."""
        column_name, descending = page.sort_key(sortable)
        column = getattr(self.model, column_name)
        ordered = statement.order_by(
            column.desc() if descending else column.asc(),
            self.model.id.desc() if descending else self.model.id.asc(),
        )
        total = await self.session.scalar(
            select(func.count()).select_from(statement.order_by(None).subquery())
        )
        rows = await self.session.execute(ordered.limit(page.limit).offset(page.offset))
        return rows.scalars().all(), int(total or 0)

    async def stream(
        self, statement: Select[OwnedT] | None = None, batch_size: int = 500
    ) -> AsyncIterator[OwnedT]:
        """Rows one by one, fetched in batches, for exports that must not hold everything."""
        result = await self.session.stream_scalars(
            (statement if statement is not None else self.select()).execution_options(
                yield_per=batch_size
            )
        )
        async for row in result:
            yield row

    async def create(self, **values: Any) -> OwnedT:
        row = self.model(org_id=self.org_id, **values)
        self.session.add(row)
        await self.session.flush()
        return row

    def add(self, **values: Any) -> OwnedT:
        """A new row, written with the next flush or commit (in one batch with the others).

        Key and timestamps are set here, so the row reads whole before it is written; give
        every other column that the caller will read.
        """
        now = utcnow()
        row = self.model(
            id=uuid.uuid4(), org_id=self.org_id, created_at=now, updated_at=now, **values
        )
        self.session.add(row)
        return row

    async def update(self, row: OwnedT, **values: Any) -> OwnedT:
        if row.org_id != self.org_id:
            raise NotFound(self.kind, row.id)
        for name, value in values.items():
            setattr(row, name, value)
        await self.session.flush()
        return row

    async def delete(self, row: OwnedT) -> None:
        if row.org_id != self.org_id:
            raise NotFound(self.kind, row.id)
        await self.session.delete(row)
        await self.session.flush()
