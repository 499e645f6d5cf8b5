"""IPv6: the VPC's /56, the subnet's /64 and the IPv6 allocations of subnets.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("vpcs", sa.Column("ipv6_cidr_block", sa.String(64)))
    op.create_index("uq_vpcs_ipv6_cidr_block", "vpcs", ["ipv6_cidr_block"], unique=True)
    op.add_column("subnets", sa.Column("ipv6_cidr_block", sa.String(64)))
    op.create_index("uq_subnets_ipv6_cidr_block", "subnets", ["ipv6_cidr_block"], unique=True)
    op.create_table(
        "ipv6_allocations",
        sa.Column("subnet_id", sa.String(64), sa.ForeignKey("subnets.id"), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("owner_type", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_ipv6_allocations_owner", "ipv6_allocations", ["owner_type", "owner_id"])


def downgrade() -> None:
    op.drop_index("ix_ipv6_allocations_owner", "ipv6_allocations")
    op.drop_table("ipv6_allocations")
    op.drop_index("uq_subnets_ipv6_cidr_block", "subnets")
    op.drop_column("subnets", "ipv6_cidr_block")
    op.drop_index("uq_vpcs_ipv6_cidr_block", "vpcs")
    op.drop_column("vpcs", "ipv6_cidr_block")
