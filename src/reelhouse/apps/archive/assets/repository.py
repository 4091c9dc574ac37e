"""Queries of assets, inside one organization."""

from __future__ import annotations

from reelhouse.apps.archive.assets.models import Asset
from reelhouse.platform.repository import Repository


class AssetRepository(Repository[Asset]):
    model = Asset
    kind = "asset"

    async def by_sha256(self, sha256: str) -> Asset | None:
        return (await self.session.execute(self.select().where(Asset.sha256 == sha256))).scalar()
