"""The evidence lifecycle: comments on claims, and when a candidate last looked at their evidence

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'claim_comments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['author_id'], ['users.id'],
            name=op.f('fk_claim_comments_author_id_users'), ondelete='SET NULL',
        ),
        sa.ForeignKeyConstraint(
            ['claim_id'], ['evidence_claims.id'],
            name=op.f('fk_claim_comments_claim_id_evidence_claims'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_comments')),
    )
    with op.batch_alter_table('claim_comments', schema=None) as batch_op:
        batch_op.create_index(
            'ix_claim_comments_claim_id_created_at', ['claim_id', 'created_at'], unique=False
        )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('candidate_seen_at', sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_column('candidate_seen_at')
    with op.batch_alter_table('claim_comments', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_comments_claim_id_created_at')
    op.drop_table('claim_comments')
