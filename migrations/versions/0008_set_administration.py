"""Set administration: a set's invitations, latest first, through an index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 10:00:00

"""
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(
            'ix_invitations_set_id_created_at', ['set_id', 'created_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_set_id_created_at')
