"""The example app's one table."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from reelhouse.platform.repository import OrgOwned


class Note(OrgOwned):
    __tablename__ = "example_notes"

    text: Mapped[str] = mapped_column(String(1000))
    summary: Mapped[str | None] = mapped_column(String(1000), default=None)
    profiled_by_pid: Mapped[int | None] = mapped_column(Integer, default=None)
