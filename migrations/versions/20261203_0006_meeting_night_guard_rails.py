"""meeting night guard rails: round order and reopening, phones that opened a ballot, paper entries
that can be undone, late paper ballots, one-time passwords, address checks, projector seen

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 07:54:10.454155
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('address_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reached_via', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('reached_from', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_address_check_meeting_id_meeting'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_address_check')),
    sa.UniqueConstraint('token', name=op.f('uq_address_check_token'))
    )
    with op.batch_alter_table('address_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_address_check_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('ballot_opened',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_ballot_opened_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_ballot_opened_round_id_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_opened')),
    sa.UniqueConstraint('round_id', 'participant_id', name=op.f('uq_ballot_opened_round_id_participant_id'))
    )
    with op.batch_alter_table('ballot_opened', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballot_opened_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ballot_opened_round_id'), ['round_id'], unique=False)

    op.create_table('paper_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('ballot_id', sa.Integer(), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_late', sa.Boolean(), nullable=False),
    sa.Column('replaced_channel', sa.String(length=20), nullable=True),
    sa.Column('replaced_entered_by_id', sa.Integer(), nullable=True),
    sa.Column('replaced_is_late', sa.Boolean(), nullable=False),
    sa.Column('replaced_submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaced_updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replaced_lines', sa.JSON(), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("replaced_channel IS NULL OR replaced_channel IN ('phone', 'paper')", name=op.f('ck_paper_entry_replaced_channel')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_paper_entry_ballot_id_ballot'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['app_user.id'], name=op.f('fk_paper_entry_entered_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_paper_entry_participant_id_participant'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_entered_by_id'], ['app_user.id'], name=op.f('fk_paper_entry_replaced_entered_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['round.id'], name=op.f('fk_paper_entry_round_id_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['app_user.id'], name=op.f('fk_paper_entry_undone_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entry'))
    )
    with op.batch_alter_table('paper_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_entry_ballot_id'), ['ballot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_entry_entered_by_id'), ['entered_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_entry_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_entry_replaced_entered_by_id'), ['replaced_entered_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_entry_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_paper_entry_undone_by_id'), ['undone_by_id'], unique=False)

    # Existing rows get the defaults; the models set them from then on (no server default kept).
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.alter_column('must_change_password', server_default=None)

    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_late', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.alter_column('is_late', server_default=None)

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('projector_opened_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('repeats_round_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_round_repeats_round_id'), ['repeats_round_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_round_repeats_round_id_round'), 'round', ['repeats_round_id'], ['id'], ondelete='SET NULL')
    # Rounds kept the order they were added in: number them so within each meeting.
    op.execute(
        "UPDATE round SET position = (SELECT COUNT(*) FROM round AS earlier "
        "WHERE earlier.meeting_id = round.meeting_id AND earlier.id <= round.id)"
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.alter_column('position', server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_round_repeats_round_id_round'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_round_repeats_round_id'))
        batch_op.drop_column('reopened_at')
        batch_op.drop_column('repeats_round_id')
        batch_op.drop_column('position')

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('projector_opened_at')

    with op.batch_alter_table('ballot', schema=None) as batch_op:
        batch_op.drop_column('is_late')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')

    with op.batch_alter_table('paper_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_entry_undone_by_id'))
        batch_op.drop_index(batch_op.f('ix_paper_entry_round_id'))
        batch_op.drop_index(batch_op.f('ix_paper_entry_replaced_entered_by_id'))
        batch_op.drop_index(batch_op.f('ix_paper_entry_participant_id'))
        batch_op.drop_index(batch_op.f('ix_paper_entry_entered_by_id'))
        batch_op.drop_index(batch_op.f('ix_paper_entry_ballot_id'))

    op.drop_table('paper_entry')
    with op.batch_alter_table('ballot_opened', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballot_opened_round_id'))
        batch_op.drop_index(batch_op.f('ix_ballot_opened_participant_id'))

    op.drop_table('ballot_opened')
    with op.batch_alter_table('address_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_address_check_meeting_id'))

    op.drop_table('address_check')
