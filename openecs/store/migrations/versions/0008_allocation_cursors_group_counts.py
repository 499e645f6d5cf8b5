"""Counts the database keeps itself: allocation cursors, group interfaces, scope instances.

Finding a subnet's lowest free address scanned every allocation of the subnet,
and a group's capacity check counted every interface in it: both grew with the
fleet. Two triggers on each table now keep the answers at hand, whichever code
path writes the rows:

- ``ip_cursors.next_free``: every address of the subnet below it is taken, so
  the lowest free one is searched from there. Claiming the cursor's address
  moves it up by one; freeing an address below it moves it down to that
  address. It is a lower bound, never past a free address, with any number of
  writers: a claim moves it only from the address it claimed.
- ``security_groups.interface_count``: the group's memberships, plus one on
  each insert, minus one on each delete.
- ``instance_counts``: each scope's (account, cloud, region) instances, so an
  unfiltered listing's TotalCount is one row, not a count of the fleet.

Existing rows are filled from the allocations and the memberships.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from openecs.store.triggers import Trigger, create_triggers, drop_triggers

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TRIGGERS: list[Trigger] = [
    (
        "ip_cursor_claim",
        "ip_allocations",
        "INSERT",
        "UPDATE ip_cursors SET next_free = NEW.address + 1 "
        "WHERE subnet_id = NEW.subnet_id AND next_free = NEW.address",
    ),
    (
        "ip_cursor_release",
        "ip_allocations",
        "DELETE",
        "UPDATE ip_cursors SET next_free = OLD.address "
        "WHERE subnet_id = OLD.subnet_id AND next_free > OLD.address",
    ),
    (
        "instance_count_add",
        "instances",
        "INSERT",
        "INSERT INTO instance_counts (account_id, cloud, region, instances) "
        "VALUES (NEW.account_id, NEW.cloud, NEW.region, 1) "
        "ON CONFLICT (account_id, cloud, region) "
        "DO UPDATE SET instances = instance_counts.instances + 1",
    ),
    (
        "instance_count_remove",
        "instances",
        "DELETE",
        "UPDATE instance_counts SET instances = instances - 1 "
        "WHERE account_id = OLD.account_id AND cloud = OLD.cloud AND region = OLD.region",
    ),
    (
        "group_interface_join",
        "interface_security_groups",
        "INSERT",
        "UPDATE security_groups SET interface_count = interface_count + 1 "
        "WHERE id = NEW.group_id",
    ),
    (
        "group_interface_leave",
        "interface_security_groups",
        "DELETE",
        "UPDATE security_groups SET interface_count = interface_count - 1 "
        "WHERE id = OLD.group_id",
    ),
]

_FILL_CURSORS = (
    "INSERT INTO ip_cursors (subnet_id, next_free) SELECT s.id, COALESCE(("
    "SELECT MIN(a.address + 1) FROM ip_allocations a WHERE a.subnet_id = s.id AND NOT EXISTS ("
    "SELECT 1 FROM ip_allocations b WHERE b.subnet_id = s.id AND b.address = a.address + 1)"
    "), 0) FROM subnets s"
)
_FILL_INSTANCE_COUNTS = (
    "INSERT INTO instance_counts (account_id, cloud, region, instances) "
    "SELECT account_id, cloud, region, COUNT(*) FROM instances GROUP BY account_id, cloud, region"
)
_FILL_COUNTS = (
    "UPDATE security_groups SET interface_count = (SELECT COUNT(*) FROM "
    "interface_security_groups m WHERE m.group_id = security_groups.id)"
)


def upgrade() -> None:
    op.create_table(
        "ip_cursors",
        sa.Column("subnet_id", sa.String(64), sa.ForeignKey("subnets.id"), primary_key=True),
        sa.Column("next_free", sa.BigInteger, nullable=False),
    )
    op.add_column(
        "security_groups",
        sa.Column("interface_count", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "instance_counts",
        sa.Column("account_id", sa.Integer, primary_key=True),
        sa.Column("cloud", sa.String(16), primary_key=True),
        sa.Column("region", sa.String(32), primary_key=True),
        sa.Column("instances", sa.Integer, nullable=False),
    )
    op.execute(_FILL_CURSORS)
    op.execute(_FILL_INSTANCE_COUNTS)
    op.execute(_FILL_COUNTS)
    create_triggers(_TRIGGERS)


def downgrade() -> None:
    drop_triggers(_TRIGGERS)
    # SQLite drops a column in place (3.35+); a batch copy would trip the memberships' keys.
    op.execute("ALTER TABLE security_groups DROP COLUMN interface_count")
    op.drop_table("instance_counts")
    op.drop_table("ip_cursors")
