"""indicator keys: a stable short name per indicator, so that measured values, files and the API
can name it; existing indicators get one made from their name, unique within their process

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:00:00
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _slug(text: str) -> str:
    # As app.domain.menu.cells.slug made keys when this migration was written (kept here, so
    # that a later change there does not change what this migration did).
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    key = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return key[:60].rstrip("-")


def upgrade() -> None:
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT indicator.id, indicator.name, effect.process_id FROM indicator "
            "JOIN effect ON effect.id = indicator.effect_id "
            "ORDER BY effect.process_id, effect.position, indicator.position, indicator.id"
        )
    ).all()
    taken: dict[int, set[str]] = {}
    for indicator_id, name, process_id in rows:
        used = taken.setdefault(process_id, set())
        base = _slug(name) or "indicator"
        key, n = base, 2
        while key in used:
            key, n = f"{base[:55]}-{n}", n + 1
        used.add(key)
        connection.execute(
            sa.text("UPDATE indicator SET key = :key WHERE id = :id"), {"key": key, "id": indicator_id}
        )
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.alter_column('key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_indicator_effect_id_key'), ['effect_id', 'key'])


def downgrade() -> None:
    with op.batch_alter_table('indicator', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_indicator_effect_id_key'), type_='unique')
        batch_op.drop_column('key')
