"""ballot submissions: every idempotency key a ballot was sent with, not only the last

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:02:24.672068
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('ballot_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('phone', 'paper')", name=op.f('ck_ballot_submission_channel')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_submission_ballot_id_ballot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_submission_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_submission')),
    sa.UniqueConstraint('round_id', 'idempotency_key', name=op.f('uq_ballot_submission_round_id_idempotency_key'))
    )
    with op.batch_alter_table('ballot_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_submission_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_submission_round_id'), ['round_id'], unique=False)

    # Keep the keys that ballots were last sent with, so that their retries stay recognised.
    op.execute(
        "INSERT INTO ballot_submission (ballot_id, round_id, idempotency_key, channel, submitted_at) "
        "SELECT id, round_id, idempotency_key, channel, COALESCE(updated_at, submitted_at) "
        "FROM ballot WHERE idempotency_key IS NOT NULL"
    )
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_ballot_round_id_idempotency_key'), type_='unique')
        batch_op.drop_column('idempotency_key')



def downgrade() -> None:
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.VARCHAR(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_ballot_round_id_idempotency_key'), ['round_id', 'idempotency_key'])
    op.execute(
        "UPDATE ballot SET idempotency_key = (SELECT s.idempotency_key FROM ballot_submission s "
        "WHERE s.ballot_id = ballot.id ORDER BY s.id DESC LIMIT 1)"
    )

    with op.batch_alter_table('ballot_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_submission_round_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_submission_ballot_id'))

    op.drop_table('ballot_submission')
