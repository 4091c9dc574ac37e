"""reelhouse serve | migrate | users | openapi."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import click
import uvicorn

from reelhouse.platform.http_protocol import PROTOCOL_PATH
from reelhouse.settings import Settings


@click.group()
def main() -> None:
    """Reelhouse: an open-source backend for recorded data."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, reload: bool) -> None:
    """Run the API server (embedded default: SQLite and files under ./data)."""
    uvicorn.run(
        "reelhouse.app:create_app_from_env",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        log_config=None,
        ws_ping_interval=20,
        http=PROTOCOL_PATH,
    )


@main.command()
@click.option(
    "--executor",
    type=click.Choice(["local", "celery"]),
    default=None,
    help="Defaults to REELHOUSE_JOB_EXECUTOR.",
)
@click.option("--concurrency", type=int, default=None, help="Jobs run at once.")
@click.option(
    "--pool",
    type=click.Choice(["prefork", "threads", "solo"]),
    default="prefork",
    show_default=True,
    help="Celery pool.",
)
def worker(executor: str | None, concurrency: int | None, pool: str) -> None:
    """Run jobs: the local pool as its own process, or a Celery worker on the three queues."""
    from reelhouse.platform.logging import configure_logging

    # Through the environment, so Celery's worker processes read the same settings.
    if executor is not None:
        os.environ["REELHOUSE_JOB_EXECUTOR"] = executor
    if concurrency is not None:
        os.environ["REELHOUSE_JOB_WORKERS"] = str(concurrency)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.job_executor == "local":
        from reelhouse.platform.jobs.execution.background import run_local_worker

        asyncio.run(run_local_worker(settings))
        return
    from reelhouse.platform.jobs.execution.celery_app import create_celery, worker_queues

    assert settings.broker_url is not None
    create_celery(settings.broker_url, settings.celery_queue_prefix).worker_main(
        [
            "worker",
            "--queues",
            worker_queues(settings.celery_queue_prefix),
            "--concurrency",
            str(settings.job_workers),
            "--pool",
            pool,
            "--loglevel",
            settings.log_level,
            "--hostname",
            f"reelhouse-{os.getpid()}@%h",
        ]
    )


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 if the database is behind the newest revision.")
def migrate(check: bool) -> None:
    """Bring the database to the newest revision, or check that it is there."""
    from reelhouse.platform.apps import InstalledApps
    from reelhouse.platform.migrations import current_revisions, head_revisions, upgrade

    settings = Settings()
    apps = InstalledApps.load(settings.apps)
    url = settings.resolved_database_url
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if check:
        current = asyncio.run(current_revisions(url))
        heads = head_revisions(apps)
        if current != heads:
            click.echo(
                f"database at {sorted(current) or 'no revision'}, newest is {sorted(heads)}: "
                "run `reelhouse migrate`",
                err=True,
            )
            sys.exit(1)
        click.echo(f"database is at the newest revision {sorted(heads)}")
        return
    asyncio.run(upgrade(url, apps))
    click.echo("database migrated to the newest revision")


@main.group()
def users() -> None:
    """Manage users from the command line."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option(
    "--organization",
    default=None,
    help="Name of an organization to create with this user as its admin; "
    "on an empty database, the first organization (default: 'Default').",
)
def create_user(email: str, password: str, organization: str | None) -> None:
    """Create an organization's admin: the instance admin on an empty database."""
    from reelhouse.platform.errors import ReelhouseError

    try:
        created = asyncio.run(_create_admin(Settings(), email, password, organization))
    except ReelhouseError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(created)


async def _create_admin(
    settings: Settings, email: str, password: str, organization: str | None
) -> str:
    from reelhouse.platform.apps import InstalledApps
    from reelhouse.platform.auth.organizations import (
        create_organization_with_admin,
        ensure_first_admin,
    )
    from reelhouse.platform.runtime import Runtime

    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    runtime = await Runtime.open(settings, InstalledApps.load(settings.apps))
    try:
        async with runtime.session_factory() as session:
            first = await ensure_first_admin(
                session,
                organization_name=organization or settings.admin_organization,
                admin_email=email,
                admin_password=password,
            )
            if first is not None:
                org, admin = first.organization, first.admin
            elif organization is None:
                raise click.ClickException(
                    "organizations exist already: pass --organization NAME to create another"
                )
            else:
                org, admin = await create_organization_with_admin(
                    session, name=organization, admin_email=email, admin_password=password
                )
            await session.commit()
    finally:
        await runtime.close()
    role = "instance admin" if admin.is_instance_admin else "admin"
    return f"created {role} {admin.email} of organization {org.name!r} ({org.id})"


@main.command()
@click.option("--out", "out_path", type=click.Path(path_type=Path), default=None)
def openapi(out_path: Path | None) -> None:
    """Write the OpenAPI document (to stdout without --out)."""
    from reelhouse.app import create_app

    document = json.dumps(create_app(Settings()).openapi(), indent=2)
    if out_path is None:
        click.echo(document)
    else:
        out_path.write_text(document + "\n")
        click.echo(f"wrote {out_path}")
