"""Security groups and rules, network interfaces, tags, idempotency records.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cloud", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("vpc_id", sa.String(64)),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("is_default", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_security_groups_owner", "security_groups", ["account_id", "cloud", "region"]
    )
    op.create_index(
        "uq_security_groups_default",
        "security_groups",
        ["account_id", "cloud", "region"],
        unique=True,
        sqlite_where=sa.text("is_default = 1"),
        postgresql_where=sa.text("is_default = 1"),
    )
    op.create_table(
        "security_group_rules",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("group_id", sa.String(64), sa.ForeignKey("security_groups.id"), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("ethertype", sa.String(8), nullable=False),
        sa.Column("protocol", sa.String(16), nullable=False),
        sa.Column("port_min", sa.Integer),
        sa.Column("port_max", sa.Integer),
        sa.Column("remote_cidr", sa.String(64)),
        sa.Column("remote_group_id", sa.String(64)),
        sa.Column("action", sa.String(8), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_index("ix_security_group_rules_group", "security_group_rules", ["group_id"])
    op.create_table(
        "network_interfaces",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cloud", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("vpc_id", sa.String(64), nullable=False),
        sa.Column("subnet_id", sa.String(64), sa.ForeignKey("subnets.id"), nullable=False),
        sa.Column("zone_id", sa.String(64), nullable=False),
        sa.Column("mac_address", sa.String(17), nullable=False, unique=True),
        sa.Column("primary_ip", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("device_id", sa.String(64)),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_network_interfaces_owner", "network_interfaces", ["account_id", "cloud", "region"]
    )
    op.create_index("ix_network_interfaces_device", "network_interfaces", ["device_id"])
    op.create_index("ix_network_interfaces_subnet", "network_interfaces", ["subnet_id"])
    op.create_table(
        "interface_security_groups",
        sa.Column(
            "interface_id", sa.String(64), sa.ForeignKey("network_interfaces.id"), primary_key=True
        ),
        sa.Column("group_id", sa.String(64), sa.ForeignKey("security_groups.id"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_interface_security_groups_group", "interface_security_groups", ["group_id"])
    op.create_table(
        "tags",
        sa.Column("resource_id", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_tags_owner", "tags", ["account_id", "resource_type"])
    op.create_table(
        "idempotency_records",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("scope", sa.String(96), primary_key=True),
        sa.Column("token", sa.String(128), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("idempotency_records")
    op.drop_table("tags")
    op.drop_table("interface_security_groups")
    op.drop_table("network_interfaces")
    op.drop_table("security_group_rules")
    op.drop_table("security_groups")
