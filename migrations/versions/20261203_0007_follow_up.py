"""follow-up of the adopted plan: what became of each measure (status, progress, milestones,
money spent per year), the statuses the wijkteam added, values measured per indicator and year,
and the public history of changes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:51:30.863820
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('first_year', sa.Integer(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_follow_up_process_id_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up')),
    sa.UniqueConstraint('process_id', name=op.f('uq_follow_up_process_id'))
    )
    op.create_table('follow_up_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_follow_up_event_process_id_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_event'))
    )
    with op.batch_alter_table('follow_up_event', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_event_process_id_at', ['process_id', 'at'], unique=False)

    op.create_table('follow_up_status',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('default_progress', sa.Integer(), nullable=True),
    sa.Column('needs_reason', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('default_progress IS NULL OR (default_progress >= 0 AND default_progress <= 100)', name=op.f('ck_follow_up_status_default_progress')),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_follow_up_status_process_id_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_up_status')),
    sa.UniqueConstraint('process_id', 'key', name=op.f('uq_follow_up_status_process_id_key'))
    )
    with op.batch_alter_table('follow_up_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_status_process_id'), ['process_id'], unique=False)

    op.create_table('indicator_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('value', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_value_indicator_id_indicator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_value')),
    sa.UniqueConstraint('indicator_id', 'year', name=op.f('uq_indicator_value_indicator_id_year'))
    )
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_value_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('measure_execution',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('organisation', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('planned_end', sa.Date(), nullable=True),
    sa.Column('actual_start', sa.Date(), nullable=True),
    sa.Column('actual_end', sa.Date(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name=op.f('ck_measure_execution_progress')),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_measure_execution_measure_id_measure'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_measure_execution_process_id_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measure_execution')),
    sa.UniqueConstraint('measure_id', name=op.f('uq_measure_execution_measure_id'))
    )
    with op.batch_alter_table('measure_execution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_measure_execution_process_id'), ['process_id'], unique=False)

    op.create_table('execution_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('execution_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['execution_id'], ['measure_execution.id'], name=op.f('fk_execution_milestone_execution_id_measure_execution'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_execution_milestone'))
    )
    with op.batch_alter_table('execution_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_execution_milestone_execution_id'), ['execution_id'], unique=False)

    op.create_table('execution_spending',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('execution_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_execution_spending_amount_not_negative')),
    sa.ForeignKeyConstraint(['execution_id'], ['measure_execution.id'], name=op.f('fk_execution_spending_execution_id_measure_execution'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_execution_spending')),
    sa.UniqueConstraint('execution_id', 'year', name=op.f('uq_execution_spending_execution_id_year'))
    )
    with op.batch_alter_table('execution_spending', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_execution_spending_execution_id'), ['execution_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('execution_spending', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_execution_spending_execution_id'))

    op.drop_table('execution_spending')
    with op.batch_alter_table('execution_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_execution_milestone_execution_id'))

    op.drop_table('execution_milestone')
    with op.batch_alter_table('measure_execution', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_measure_execution_process_id'))

    op.drop_table('measure_execution')
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_value_indicator_id'))

    op.drop_table('indicator_value')
    with op.batch_alter_table('follow_up_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_status_process_id'))

    op.drop_table('follow_up_status')
    with op.batch_alter_table('follow_up_event', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_event_process_id_at')

    op.drop_table('follow_up_event')
    op.drop_table('follow_up')
