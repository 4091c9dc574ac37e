"""FastAPI dependencies of the archive's routers: its services, and the resources routes load
within the caller's organization (404 otherwise)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from reelhouse.apps.archive.assets.models import Asset
from reelhouse.apps.archive.assets.probing import ProbeService
from reelhouse.apps.archive.assets.service import AssetService
from reelhouse.apps.archive.outputs.models import Output
from reelhouse.apps.archive.outputs.service import OutputService
from reelhouse.apps.archive.tags.service import TagService
from reelhouse.apps.archive.uploads.models import Upload
from reelhouse.apps.archive.uploads.service import UploadService
from reelhouse.platform.deps import ScopeApartDep, ScopeDep


def get_asset_service(scope: ScopeDep) -> AssetService:
    return AssetService(scope)


def get_asset_service_apart(scope: ScopeApartDep) -> AssetService:
    return AssetService(scope)


def get_probe_service(scope: ScopeDep) -> ProbeService:
    return ProbeService(scope)


def get_tag_service(scope: ScopeDep) -> TagService:
    return TagService(scope)


def get_output_service(scope: ScopeDep) -> OutputService:
    return OutputService(scope)


def get_upload_service(scope: ScopeDep) -> UploadService:
    return UploadService(scope)


AssetServiceDep = Annotated[AssetService, Depends(get_asset_service)]
# For routes that wait long before they touch the database (see ``get_principal_apart``).
AssetServiceApartDep = Annotated[AssetService, Depends(get_asset_service_apart)]
ProbeServiceDep = Annotated[ProbeService, Depends(get_probe_service)]
TagServiceDep = Annotated[TagService, Depends(get_tag_service)]
OutputServiceDep = Annotated[OutputService, Depends(get_output_service)]
UploadServiceDep = Annotated[UploadService, Depends(get_upload_service)]


async def get_current_asset(asset_id: uuid.UUID, assets: AssetServiceDep) -> Asset:
    return await assets.get(asset_id)


async def get_current_output(output_id: uuid.UUID, outputs: OutputServiceDep) -> Output:
    return await outputs.get(output_id)


async def get_current_upload(upload_id: uuid.UUID, uploads: UploadServiceDep) -> Upload:
    return await uploads.get(upload_id)


CurrentAsset = Annotated[Asset, Depends(get_current_asset)]
CurrentOutput = Annotated[Output, Depends(get_current_output)]
CurrentUpload = Annotated[Upload, Depends(get_current_upload)]
