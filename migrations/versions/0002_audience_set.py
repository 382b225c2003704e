"""The audience set: each reflection reaches at most one set, fixed when it is saved

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 18:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('set_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_reflections_set_id_sets'), 'sets', ['set_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_reflections_set_id_updated_at', ['set_id', 'updated_at'], unique=False)
    # A linked reflection's audience is its meeting's set. An unlinked one reached every set its
    # author was a candidate in; it keeps one only where that was a single set, so no audience
    # grows and none is guessed among several (those reach their author alone until re-saved).
    op.execute(
        "UPDATE reflections SET set_id = (SELECT meetings.set_id FROM meetings"
        " WHERE meetings.id = reflections.meeting_id) WHERE meeting_id IS NOT NULL"
    )
    op.execute(
        "UPDATE reflections SET set_id = (SELECT MIN(m.set_id) FROM memberships m"
        " WHERE m.user_id = reflections.author_id AND m.role = 'candidate')"
        " WHERE meeting_id IS NULL AND (SELECT COUNT(*) FROM memberships m"
        " WHERE m.user_id = reflections.author_id AND m.role = 'candidate') = 1"
    )


def downgrade():
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_index('ix_reflections_set_id_updated_at')
        batch_op.drop_constraint(batch_op.f('fk_reflections_set_id_sets'), type_='foreignkey')
        batch_op.drop_column('set_id')
