"""A subnet's count of taken addresses, kept by the database beside its cursor.

DescribeVSwitches (AvailableIpAddressCount) and Huawei's subnet
(available_ip_address_count) counted the subnet's allocations on every
call: a read that grew with the fleet in the subnet, in calls clients poll.
``ip_cursors.used`` is that count, kept by two triggers on ``ip_allocations``
(plus one on each insert, minus one on each delete), whichever code path
writes the rows, as 0008's counts are. Existing rows are counted once here.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from openecs.store.triggers import Trigger, create_triggers, drop_triggers

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TRIGGERS: list[Trigger] = [
    (
        "ip_used_claim",
        "ip_allocations",
        "INSERT",
        "UPDATE ip_cursors SET used = used + 1 WHERE subnet_id = NEW.subnet_id",
    ),
    (
        "ip_used_release",
        "ip_allocations",
        "DELETE",
        "UPDATE ip_cursors SET used = used - 1 WHERE subnet_id = OLD.subnet_id",
    ),
]

_FILL = (
    "UPDATE ip_cursors SET used = (SELECT COUNT(*) FROM ip_allocations a "
    "WHERE a.subnet_id = ip_cursors.subnet_id)"
)


def upgrade() -> None:
    op.add_column(
        "ip_cursors", sa.Column("used", sa.BigInteger, nullable=False, server_default="0")
    )
    op.execute(_FILL)
    create_triggers(_TRIGGERS)


def downgrade() -> None:
    drop_triggers(_TRIGGERS)
    op.execute("ALTER TABLE ip_cursors DROP COLUMN used")
