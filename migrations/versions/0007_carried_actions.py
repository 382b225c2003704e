"""Carried actions: the meeting a carried action is followed up at

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable and left empty: actions carried before this migration were carried to no
    # meeting in particular, and guessing one could name a meeting nobody meant.
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_to_meeting_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reflections_carried_to_meeting_id_meetings'), 'meetings', ['carried_to_meeting_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_reflections_carried_to_meeting_id', ['carried_to_meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_index('ix_reflections_carried_to_meeting_id')
        batch_op.drop_constraint(batch_op.f('fk_reflections_carried_to_meeting_id_meetings'), type_='foreignkey')
        batch_op.drop_column('carried_to_meeting_id')
