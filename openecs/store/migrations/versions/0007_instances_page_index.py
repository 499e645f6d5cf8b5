"""Instances' scope index ends with (created_at, id), the order every listing pages in.

A page of instances is then read from the index alone, in order, without sorting the
scope's rows or reading the ones an offset skips.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_OLD = ["account_id", "cloud", "region", "created_at"]
_NEW = ["account_id", "cloud", "region", "created_at", "id"]


def upgrade() -> None:
    op.create_index("ix_instances_owner_order", "instances", _NEW)
    op.drop_index("ix_instances_owner", "instances")


def downgrade() -> None:
    op.create_index("ix_instances_owner", "instances", _OLD)
    op.drop_index("ix_instances_owner_order", "instances")
