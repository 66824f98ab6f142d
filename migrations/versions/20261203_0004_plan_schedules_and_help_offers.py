"""plan schedules and help offers: the adopted plan put in time (drafts and adopted snapshots), and
residents' offers to help with a measure (personal data, with no key shared with any ballot)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 08:18:18.682362
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('plan_schedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('plan_snapshot_id', sa.Integer(), nullable=False),
    sa.Column('money', sa.JSON(), nullable=False),
    sa.Column('carry_over', sa.Boolean(), nullable=False),
    sa.Column('starts', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('adopted_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['adopted_by_id'], ['app_user.id'], name=op.f('fk_plan_schedule_adopted_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_snapshot_id'], ['plan_snapshot.id'], name=op.f('fk_plan_schedule_plan_snapshot_id_plan_snapshot'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_plan_schedule_process_id_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_schedule'))
    )
    with op.batch_alter_table('plan_schedule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_schedule_adopted_by_id'), ['adopted_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_schedule_plan_snapshot_id'), ['plan_snapshot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_schedule_process_id'), ['process_id'], unique=False)

    op.create_table('help_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.Integer(), nullable=False),
    sa.Column('measure_id', sa.Integer(), nullable=False),
    sa.Column('holder', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('contact_kind', sa.String(length=10), nullable=False),
    sa.Column('contact', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('consent', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('offered_on', sa.Date(), nullable=False),
    sa.Column('keep_until', sa.Date(), nullable=False),
    sa.Column('contacted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("contact_kind IN ('phone', 'email')", name=op.f('ck_help_offer_contact_kind')),
    sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_help_offer_measure_id_measure'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['process_id'], ['process.id'], name=op.f('fk_help_offer_process_id_process'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_help_offer')),
    sa.UniqueConstraint('measure_id', 'holder', name=op.f('uq_help_offer_measure_id_holder'))
    )
    with op.batch_alter_table('help_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_help_offer_holder'), ['holder'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_offer_keep_until'), ['keep_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_offer_measure_id'), ['measure_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_help_offer_process_id'), ['process_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('help_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_offer_process_id'))
        batch_op.drop_index(batch_op.f('ix_help_offer_measure_id'))
        batch_op.drop_index(batch_op.f('ix_help_offer_keep_until'))
        batch_op.drop_index(batch_op.f('ix_help_offer_holder'))

    op.drop_table('help_offer')
    with op.batch_alter_table('plan_schedule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_schedule_process_id'))
        batch_op.drop_index(batch_op.f('ix_plan_schedule_plan_snapshot_id'))
        batch_op.drop_index(batch_op.f('ix_plan_schedule_adopted_by_id'))

    op.drop_table('plan_schedule')
