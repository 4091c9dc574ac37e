"""archive job types under one prefix, archive.*

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RENAMED = {
    "assets.index": "archive.index",
    "assets.scan_directory": "archive.scan_directory",
    "assets.sidecar": "archive.sidecar",
    "assets.reindex_all": "archive.reindex_all",
    "outputs.action": "archive.output_action",
}


def _rename(names: dict[str, str]) -> None:
    # Jobs queued before the upgrade keep their handler.
    jobs = sa.table("jobs", sa.column("type", sa.String))
    for old, new in names.items():
        op.execute(jobs.update().where(jobs.c.type == old).values(type=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
