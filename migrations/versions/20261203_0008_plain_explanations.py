"""plain explanations: a measure's and an effect's meaning in one or two plain sentences for
residents, beside the official wording; existing rows get an empty one

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('effect', 'measure')


def upgrade() -> None:
    # Added as nullable, filled with '' and then made NOT NULL: the models have no server default,
    # and the rows already there (a menu in use) must read as "no explanation yet".
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('plain_explanation', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=True)
            )
        op.execute(sa.text(f"UPDATE {table} SET plain_explanation = '' WHERE plain_explanation IS NULL"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                'plain_explanation', existing_type=sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('plain_explanation')
