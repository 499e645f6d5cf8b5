"""Compute: key pairs, instances, disks and Huawei jobs.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_pairs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cloud", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
        sa.UniqueConstraint("account_id", "cloud", "region", "name", name="uq_key_pairs_name"),
    )
    op.create_table(
        "instances",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cloud", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("zone_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("instance_type", sa.String(64), nullable=False),
        sa.Column("image_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("vpc_id", sa.String(64), nullable=False),
        sa.Column("subnet_id", sa.String(64), nullable=False),
        sa.Column("key_pair_name", sa.String(255)),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("user_data", sa.Text),
        sa.Column("charge_type", sa.String(32), nullable=False),
        sa.Column("deletion_protection", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("started_at", sa.Float),
        sa.Column("expires_at", sa.Float),
        sa.Column("auto_release_at", sa.Float),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_instances_owner", "instances", ["account_id", "cloud", "region", "created_at"]
    )
    op.create_table(
        "disks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cloud", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("zone_id", sa.String(64), nullable=False),
        sa.Column("instance_id", sa.String(64)),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("device", sa.String(64)),
        sa.Column("delete_with_instance", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
    )
    op.create_index("ix_disks_owner", "disks", ["account_id", "cloud", "region"])
    op.create_index("ix_disks_instance", "disks", ["instance_id"])
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("parent_id", sa.String(64)),
        sa.Column("job_type", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("entities", sa.Text, nullable=False),
        sa.Column("error_code", sa.String(64)),
        sa.Column("fail_reason", sa.Text),
        sa.Column("begin_time", sa.Float, nullable=False),
        sa.Column("end_time", sa.Float),
    )
    op.create_index("ix_jobs_parent", "jobs", ["parent_id"])


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("disks")
    op.drop_table("instances")
    op.drop_table("key_pairs")
