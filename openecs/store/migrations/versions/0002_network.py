"""Network substrate: VPCs, subnets (vSwitches) and their address allocations.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vpcs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cloud", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("cidr_block", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("is_default", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_index("ix_vpcs_owner", "vpcs", ["account_id", "cloud", "region"])
    op.create_table(
        "subnets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cloud", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("vpc_id", sa.String(64), sa.ForeignKey("vpcs.id"), nullable=False),
        sa.Column("zone_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("cidr_block", sa.String(64), nullable=False),
        sa.Column("gateway_ip", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_index("ix_subnets_owner", "subnets", ["account_id", "cloud", "region"])
    op.create_index("ix_subnets_vpc", "subnets", ["vpc_id"])
    op.create_table(
        "ip_allocations",
        sa.Column("subnet_id", sa.String(64), sa.ForeignKey("subnets.id"), primary_key=True),
        sa.Column("address", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("owner_type", sa.String(32), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_ip_allocations_owner", "ip_allocations", ["owner_type", "owner_id"])


def downgrade() -> None:
    op.drop_table("ip_allocations")
    op.drop_table("subnets")
    op.drop_table("vpcs")
