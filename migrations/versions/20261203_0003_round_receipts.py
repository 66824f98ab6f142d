"""round receipts: a secret per round that keys its ballots' receipts, and when they were published

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 09:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('receipts_published_at', sa.DateTime(timezone=True), nullable=True))
    # Every existing round gets a secret of its own (receipts shown before keep no meaning).
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM round"))]
    for round_id in ids:
        connection.execute(
            sa.text("UPDATE round SET receipt_secret = :secret WHERE id = :id"),
            {"secret": secrets.token_hex(32), "id": round_id},
        )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.alter_column('receipt_secret', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('receipts_published_at')
        batch_op.drop_column('receipt_secret')
