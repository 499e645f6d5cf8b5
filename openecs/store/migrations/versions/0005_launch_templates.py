"""Launch templates and their numbered, immutable versions.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "launch_templates",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("cloud", sa.String(16), nullable=False),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("default_version", sa.Integer, nullable=False),
        sa.Column("last_number", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("extra", sa.Text, nullable=False),
        sa.UniqueConstraint(
            "account_id", "cloud", "region", "name", name="uq_launch_templates_name"
        ),
    )
    op.create_table(
        "launch_template_versions",
        sa.Column(
            "template_id",
            sa.String(64),
            sa.ForeignKey("launch_templates.id"),
            primary_key=True,
        ),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("id", sa.String(64), nullable=False, unique=True),
        sa.Column("description", sa.String(1024), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("launch_template_versions")
    op.drop_table("launch_templates")
