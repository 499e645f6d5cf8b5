"""The ``openecs`` command: ``serve`` runs the server, ``accounts`` manages tenants."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import click

from openecs.config import Settings, default_data_dir


def _store_options(fn):  # noqa: ANN001, ANN202
    fn = click.option(
        "--database-url",
        envvar="OPENECS_DATABASE_URL",
        default=None,
        help="postgresql://... to use PostgreSQL instead of the embedded SQLite store.",
    )(fn)
    fn = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Directory of the embedded store (default: the per-user data directory).",
    )(fn)
    return fn


def _settings(data_dir: Path | None, database_url: str | None, **kw: object) -> Settings:
    return Settings(data_dir=data_dir or default_data_dir(), database_url=database_url, **kw)  # type: ignore[arg-type]


@click.group()
@click.version_option(package_name="openecs")
def main() -> None:
    """OpenECS: a self-hosted ECS control plane (Alibaba Cloud and Huawei Cloud APIs)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@_store_options
@click.option(
    "--boot-seconds",
    default=3.0,
    show_default=True,
    type=float,
    help="Engine-clock seconds an instance takes to boot.",
)
@click.option(
    "--stop-seconds",
    default=2.0,
    show_default=True,
    type=float,
    help="Engine-clock seconds an instance takes to stop.",
)
@click.option(
    "--clock-speed",
    default=1.0,
    show_default=True,
    type=float,
    help="Run the engine clock this many times faster than real time.",
)
@click.option(
    "--warm-up/--no-warm-up",
    default=True,
    show_default=True,
    help="Rehearse the common calls at start-up (rolled back) so the first ones are fast.",
)
@click.option("--log-level", default="info", show_default=True)
def serve(
    host: str,
    port: int,
    data_dir: Path | None,
    database_url: str | None,
    boot_seconds: float,
    stop_seconds: float,
    clock_speed: float,
    warm_up: bool,
    log_level: str,
) -> None:
    """Run the server (embedded SQLite unless --database-url is given)."""
    import uvicorn

    from openecs.app import build_app

    settings = _settings(
        data_dir,
        database_url,
        host=host,
        port=port,
        boot_seconds=boot_seconds,
        stop_seconds=stop_seconds,
        clock_speed=clock_speed,
        warm_up=warm_up,
    )
    app = build_app(settings)
    # What start-up built (the catalog, the schema, compiled statements: about 90 000
    # objects) lives as long as the server: left out of the collector's passes, a full
    # collection takes microseconds instead of 55-100 ms stopping every request meanwhile.
    gc.collect()
    gc.freeze()
    click.echo(f"OpenECS on http://{host}:{port} (store: {app.state.runtime.db.dialect})", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


@main.group()
def accounts() -> None:
    """Create and list accounts (works while a server runs on the same store)."""


def _open_store(data_dir: Path | None, database_url: str | None):  # noqa: ANN202
    from openecs.core.accounts import BootstrapCredentials, ensure_bootstrap
    from openecs.store import migrate
    from openecs.store.db import Database

    db = Database(_settings(data_dir, database_url).store_url, pool_size=1)
    migrate.upgrade(db)
    with db.write() as conn:
        ensure_bootstrap(conn, BootstrapCredentials.from_environment(), update_existing=False)
    return db


@accounts.command("create")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the account as JSON.")
@_store_options
def accounts_create(
    name: str, as_json: bool, data_dir: Path | None, database_url: str | None
) -> None:
    """Create account NAME with fresh access keys and a Huawei project per region."""
    from openecs.core.accounts import create_account
    from openecs.core.errors import DomainError

    db = _open_store(data_dir, database_url)
    try:
        with db.write() as conn:
            account = create_account(conn, name)
    except DomainError as err:
        raise click.ClickException(err.message) from None
    finally:
        db.dispose()
    if as_json:
        click.echo(json.dumps(account.as_json(), indent=2))
    else:
        click.echo(f"{account.name}\t{account.access_key_id}\t{account.access_key_secret}")


@accounts.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
@_store_options
def accounts_list(as_json: bool, data_dir: Path | None, database_url: str | None) -> None:
    """List every account with its access key id."""
    from openecs.core.accounts import list_accounts

    db = _open_store(data_dir, database_url)
    try:
        with db.read() as conn:
            found = list_accounts(conn)
    finally:
        db.dispose()
    if as_json:
        click.echo(json.dumps([a.as_json() for a in found], indent=2))
        return
    for a in found:
        click.echo(f"{a.name}\t{a.access_key_id}")
