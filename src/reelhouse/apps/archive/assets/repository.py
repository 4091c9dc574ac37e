"""Queries of assets, inside one organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from reelhouse.apps.archive.assets.models import Asset, AssetLocation
from reelhouse.platform.repository import Repository


class AssetRepository(Repository[Asset]):
    model = Asset
    kind = "asset"

    async def by_sha256(self, sha256: str) -> Asset | None:
        return (await self.session.execute(self.select().where(Asset.sha256 == sha256))).scalar()


class AssetLocationRepository(Repository[AssetLocation]):
    model = AssetLocation
    kind = "asset location"

    async def of_assets(self, asset_ids: Sequence[uuid.UUID]) -> Sequence[AssetLocation]:
        """The locations of these assets, each asset's in the order they were first seen."""
        return await self.list(
            self.select()
            .where(AssetLocation.asset_id.in_(asset_ids))
            .order_by(AssetLocation.asset_id, AssetLocation.first_seen_at, AssetLocation.id)
        )

    async def at(self, asset_id: uuid.UUID, path: str) -> AssetLocation | None:
        statement = self.select().where(
            AssetLocation.asset_id == asset_id, AssetLocation.path == path
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def asset_ids(self) -> list[uuid.UUID]:
        """Every asset that has a location, once."""
        statement = (
            select(AssetLocation.asset_id)
            .where(AssetLocation.org_id == self.org_id)
            .distinct()
            .order_by(AssetLocation.asset_id)
        )
        return list((await self.session.scalars(statement)).all())
