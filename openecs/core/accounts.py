"""Accounts (tenants), their access keys, and their Huawei projects.

Every account has one access key pair, used by both vendors' signatures, and
one Huawei project id per Huawei region of the catalog. The bootstrap account
(``default``) takes its keys from the environment on every start, so that a
server restarted with other credentials answers to the new ones.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, NoResultFound

from openecs.core import catalog
from openecs.core.errors import Conflict, Invalid
from openecs.core.ids import huawei_project_id, random_token
from openecs.store.prepared import Prepared
from openecs.store.tables import accounts, huawei_projects

BOOTSTRAP_NAME = "default"
DEFAULT_ACCESS_KEY_ID = "openecs-access-key-id"
DEFAULT_ACCESS_KEY_SECRET = "openecs-access-key-secret"
DEFAULT_HUAWEI_PROJECT_ID = "0123456789abcdef0123456789abcdef"
DEFAULT_HUAWEI_REGION = "cn-north-4"
_PROJECT_NAMESPACE = uuid.UUID("5b0e6a53-4f1f-4b59-9c2c-6f70656e6563")


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    access_key_id: str
    access_key_secret: str
    huawei_project_ids: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "access_key_id": self.access_key_id,
            "access_key_secret": self.access_key_secret,
            "huawei_project_ids": dict(self.huawei_project_ids),
        }


@dataclass(frozen=True)
class BootstrapCredentials:
    access_key_id: str
    access_key_secret: str
    huawei_project_id: str

    @classmethod
    def from_environment(cls) -> BootstrapCredentials:
        return cls(
            access_key_id=os.environ.get("OPENECS_ACCESS_KEY_ID") or DEFAULT_ACCESS_KEY_ID,
            access_key_secret=os.environ.get("OPENECS_ACCESS_KEY_SECRET")
            or DEFAULT_ACCESS_KEY_SECRET,
            huawei_project_id=os.environ.get("OPENECS_HUAWEI_PROJECT_ID")
            or DEFAULT_HUAWEI_PROJECT_ID,
        )


def _derived_project_id(access_key_id: str, region: str) -> str:
    """A stable project id for the bootstrap account's other regions."""
    return uuid.uuid5(_PROJECT_NAMESPACE, f"{access_key_id}/{region}").hex


def ensure_bootstrap(
    conn: Connection, creds: BootstrapCredentials, *, update_existing: bool = True
) -> Account:
    """Create the bootstrap account, or bring its keys in line with ``creds``.

    The server updates an existing bootstrap account (its environment is the
    source of truth); the ``accounts`` commands only create it when missing,
    so that running them never changes the keys a live server answers to.
    """
    row = conn.execute(select(accounts).where(accounts.c.name == BOOTSTRAP_NAME)).first()
    if row is not None and not update_existing:
        return get_account(conn, row.id)
    if row is None:
        account_id = conn.execute(
            insert(accounts).values(
                name=BOOTSTRAP_NAME,
                access_key_id=creds.access_key_id,
                access_key_secret=creds.access_key_secret,
                created_at=time.time(),
            )
        ).inserted_primary_key[0]
    else:
        account_id = row.id
        if (row.access_key_id, row.access_key_secret) != (
            creds.access_key_id,
            creds.access_key_secret,
        ):
            conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(
                    access_key_id=creds.access_key_id, access_key_secret=creds.access_key_secret
                )
            )
    wanted = {
        region: (
            creds.huawei_project_id
            if region == DEFAULT_HUAWEI_REGION
            else _derived_project_id(creds.access_key_id, region)
        )
        for region in catalog.huawei().region_ids()
    }
    _set_projects(conn, account_id, wanted)
    return get_account(conn, account_id)


def _set_projects(conn: Connection, account_id: int, wanted: dict[str, str]) -> None:
    have = {
        r.region: r.id
        for r in conn.execute(
            select(huawei_projects).where(huawei_projects.c.account_id == account_id)
        )
    }
    for region, project_id in wanted.items():
        if have.get(region) == project_id:
            continue
        if region in have:
            conn.execute(
                update(huawei_projects)
                .where(huawei_projects.c.account_id == account_id)
                .where(huawei_projects.c.region == region)
                .values(id=project_id)
            )
        else:
            conn.execute(
                insert(huawei_projects).values(id=project_id, account_id=account_id, region=region)
            )


def create_account(conn: Connection, name: str) -> Account:
    """A new account with fresh keys and a project in every Huawei region."""
    if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
        raise Invalid("account.name_invalid", "An account name is 1-64 letters, digits, - or _.")
    if conn.execute(select(accounts.c.id).where(accounts.c.name == name)).first():
        raise Conflict("account.name_taken", f"An account named {name!r} already exists.")
    try:
        account_id = conn.execute(
            insert(accounts).values(
                name=name,
                access_key_id="LTAI" + random_token(20),
                access_key_secret=random_token(30),
                created_at=time.time(),
            )
        ).inserted_primary_key[0]
    except IntegrityError as exc:
        raise Conflict("account.name_taken", f"An account named {name!r} already exists.") from exc
    _set_projects(
        conn, account_id, {region: huawei_project_id() for region in catalog.huawei().region_ids()}
    )
    return get_account(conn, account_id)


# Every signed request whose account is not cached (the first of a key, and the first after
# the cache's ten seconds) reads these two: on the driver's cursor (store/prepared.py).
_BY_ACCESS_KEY = Prepared(select(accounts).where(accounts.c.access_key_id == bindparam("key")))
_BY_ID = Prepared(select(accounts).where(accounts.c.id == bindparam("id")))
_PROJECTS = Prepared(
    select(huawei_projects.c.region, huawei_projects.c.id)
    .where(huawei_projects.c.account_id == bindparam("account_id"))
    .order_by(huawei_projects.c.region)
)


def _load(conn: Connection, row: object) -> Account:
    projects = _PROJECTS.tuples(conn, {"account_id": row.id})  # type: ignore[attr-defined]
    return Account(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        access_key_id=row.access_key_id,  # type: ignore[attr-defined]
        access_key_secret=row.access_key_secret,  # type: ignore[attr-defined]
        huawei_project_ids=dict(projects),
    )


def get_account(conn: Connection, account_id: int) -> Account:
    row = _BY_ID.first(conn, {"id": account_id})
    if row is None:
        raise NoResultFound(f"no account {account_id}")
    return _load(conn, row)


def find_by_access_key(conn: Connection, access_key_id: str) -> Account | None:
    row = _BY_ACCESS_KEY.first(conn, {"key": access_key_id})
    return None if row is None else _load(conn, row)


def list_accounts(conn: Connection) -> list[Account]:
    return [_load(conn, row) for row in conn.execute(select(accounts).order_by(accounts.c.id))]


def region_of_project(account: Account, project_id: str) -> str | None:
    """The Huawei region whose project id is ``project_id`` in ``account``, if any."""
    for region, pid in account.huawei_project_ids.items():
        if pid == project_id:
            return region
    return None
