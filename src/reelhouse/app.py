"""create_app(settings): the one FastAPI service, its routers, lifespan and error handlers."""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError
from starlette.routing import compile_path

from reelhouse import __version__
from reelhouse.platform.apps import InstalledApps
from reelhouse.platform.auth.organizations import ensure_first_admin
from reelhouse.platform.errors import Conflict, install_error_handlers
from reelhouse.platform.jobs.execution.background import JobBackground
from reelhouse.platform.logging import RequestContextMiddleware, configure_logging
from reelhouse.platform.migrations import upgrade
from reelhouse.platform.openapi import install_openapi
from reelhouse.platform.runtime import Runtime
from reelhouse.settings import Settings, write_private_file

API_PREFIX = "/api/v1"
INITIAL_ADMIN_FILE = "initial-admin.txt"
logger = logging.getLogger("reelhouse")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service with the apps ``settings.apps`` lists, each mounted under ``/api/v1``."""
    settings = settings or Settings()
    apps = InstalledApps.load(settings.apps)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.migrates_on_start:
            settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            await upgrade(settings.resolved_database_url, apps)
        runtime = await Runtime.open(settings, apps)
        app.state.runtime = runtime
        runs_jobs = settings.job_executor == "local" and settings.job_workers > 0
        background = JobBackground(runtime, run_jobs=runs_jobs, schedule=True)
        try:
            await _bootstrap(runtime)
            await background.start()
            yield
        finally:
            await background.stop()
            await runtime.close()

    app = FastAPI(
        title="Reelhouse",
        version=__version__,
        description="An open-source backend for recorded data.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_openapi(app)
    install_error_handlers(app)
    app.add_middleware(RequestContextMiddleware)
    api = APIRouter(prefix=API_PREFIX)
    for router in apps.routers():
        _type_path_ids(router)
        api.include_router(router)
    app.include_router(api)
    return app


def _type_path_ids(router: APIRouter) -> None:
    """Match a UUID path parameter only to a UUID, so ``GET /assets/register`` finds the
    ``POST /assets/register`` route (and answers 405) instead of ``/assets/{asset_id}``."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        path = route.path
        for name in _uuid_path_params(route.dependant):
            path = path.replace(f"{{{name}}}", f"{{{name}:uuid}}")
        if path != route.path:
            route.path = path
            route.path_regex, route.path_format, route.param_convertors = compile_path(path)


def _uuid_path_params(dependant: Dependant) -> set[str]:
    """Names of the path parameters typed ``UUID``, the route's own and its dependencies'."""
    names = {
        param.alias for param in dependant.path_params if param.field_info.annotation is uuid.UUID
    }
    for sub in dependant.dependencies:
        names |= _uuid_path_params(sub)
    return names


def create_app_from_env() -> FastAPI:
    """The factory ``reelhouse serve`` hands to uvicorn (also under ``--reload``)."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


async def _bootstrap(runtime: Runtime) -> None:
    """On an empty database, make the first organization and admin, and show its password once."""
    settings = runtime.settings
    try:
        async with runtime.session_factory() as session:
            first = await ensure_first_admin(
                session,
                organization_name=settings.admin_organization,
                admin_email=settings.admin_email,
                admin_password=(
                    settings.admin_password.get_secret_value() if settings.admin_password else None
                ),
            )
            await session.commit()
    except (IntegrityError, Conflict):
        # Replicas starting together race to bootstrap; whichever lost finds it done.
        logger.info("another replica created the first organization and admin")
        return
    if first is None:
        return
    logger.info("created the first organization and admin", extra={"email": first.admin.email})
    if first.generated_password is not None:
        path = settings.data_dir / INITIAL_ADMIN_FILE
        write_private_file(
            path, f"email: {first.admin.email}\npassword: {first.generated_password}\n"
        )
        # Printed, not logged: log shippers should never carry a password.
        print(
            f"\nReelhouse first admin\n  email:    {first.admin.email}\n"
            f"  password: {first.generated_password}\n  (also in {path}, mode 0600)\n",
            file=sys.stderr,
            flush=True,
        )
