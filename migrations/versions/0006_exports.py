"""Portfolio exports: a candidate's portfolio as a PDF or ZIP, made by a background job

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('portfolio_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("format IN ('pdf', 'zip')", name=op.f('ck_portfolio_exports_format')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_portfolio_exports_status')),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name=op.f('ck_portfolio_exports_progress')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_portfolio_exports_enrolment_id_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_portfolio_exports_requested_by_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portfolio_exports'))
    )
    with op.batch_alter_table('portfolio_exports', schema=None) as batch_op:
        batch_op.create_index('ix_portfolio_exports_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_portfolio_exports_enrolment_id_created_at', ['enrolment_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_portfolio_exports_requested_by_id'), ['requested_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('portfolio_exports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_portfolio_exports_requested_by_id'))
        batch_op.drop_index('ix_portfolio_exports_enrolment_id_created_at')
        batch_op.drop_index('ix_portfolio_exports_created_at')

    op.drop_table('portfolio_exports')
