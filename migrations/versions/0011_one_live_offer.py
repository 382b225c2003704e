"""One live claim per criterion and version of a reflection: a double-submitted offer fails

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 02:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


claims = sa.table(
    'evidence_claims',
    sa.column('id', sa.Integer()),
    sa.column('reflection_id', sa.Uuid()),
    sa.column('frozen_content', sa.JSON()),
    sa.column('withdrawn_at', sa.DateTime(timezone=True)),
)
claim_criteria = sa.table(
    'claim_criteria',
    sa.column('id', sa.Integer()),
    sa.column('claim_id', sa.Integer()),
    sa.column('criterion_id', sa.Integer()),
    sa.column('live_offer', sa.String(64)),
)


def upgrade():
    with op.batch_alter_table('claim_criteria', schema=None) as batch_op:
        batch_op.add_column(sa.Column('live_offer', sa.String(length=64), nullable=True))
    _fill_live_offers()
    with op.batch_alter_table('claim_criteria', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f('uq_claim_criteria_criterion_id'), ['criterion_id', 'live_offer']
        )


def _fill_live_offers():
    """Each criterion of a claim not withdrawn gets its reflection's id and the version the
    frozen copy holds. Two live claims already holding one criterion for one version (a double
    submit before this revision) are left as they are, decisions and all: the earlier keeps the
    key, the later none, so nothing is withdrawn or lost, and only new offers are checked."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            claim_criteria.c.id,
            claim_criteria.c.criterion_id,
            claims.c.reflection_id,
            claims.c.frozen_content,
        )
        .join(claims, claims.c.id == claim_criteria.c.claim_id)
        .where(claims.c.withdrawn_at.is_(None), claims.c.reflection_id.is_not(None))
        .order_by(claims.c.id, claim_criteria.c.id)
    ).all()
    taken = set()
    for row_id, criterion_id, reflection_id, copy in rows:
        key = f"{reflection_id}/{(copy or {}).get('reflection_version')}"
        if (criterion_id, key) in taken:
            continue
        taken.add((criterion_id, key))
        connection.execute(
            sa.update(claim_criteria).where(claim_criteria.c.id == row_id).values(live_offer=key)
        )


def downgrade():
    with op.batch_alter_table('claim_criteria', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_claim_criteria_criterion_id'), type_='unique')
        batch_op.drop_column('live_offer')
