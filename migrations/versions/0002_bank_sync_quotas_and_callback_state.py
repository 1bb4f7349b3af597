"""Bank sync: per-account quota as last seen, single-use callback references, last sync time.

- ``account_quotas``: one row per (account, scope) with the bank's daily quota as the
  ``http_x_ratelimit_account_success_*`` headers last reported it and the time of the last
  successful call, so syncs skip calls the bank would refuse and fetch details only once;
- ``connections.reference_used_at``: when the bank handed the reference back; a used
  reference is refused;
- ``connections.last_synced_at``: when a sync last brought the connection's data in,
  including the daily full sync, which has no job row.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_quotas",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.Column("reset_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_quotas_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "scope", name=op.f("pk_account_quotas")),
    )
    op.add_column(
        "connections", sa.Column("reference_used_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "connections", sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("connections", "last_synced_at")
    op.drop_column("connections", "reference_used_at")
    op.drop_table("account_quotas")
