"""safe practice: safety misses, certainty marking, variants, overrides and revoked certificates

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:00:00.000000

Attempts record the variant drawn for each slot (``draw``), how many safety misses kept them
from passing, and their certainty-based marks; answers record the certainty given with them
and, once graded, whether each was a safety miss. ``module_overrides`` holds a
student's extra attempts, extra time or later due date at one module, with the reason.
Certificates can be revoked (when, by whom, why); the row stays, so it is never re-issued.

Review cards get a priority: a safety miss, then a confidently wrong answer, is served first.

Past attempts keep their result: no draw means each slot's first item, which is all they
had, and their safety columns stay empty (they were graded before the gate existed).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draw', JSON, nullable=True))
        batch_op.add_column(sa.Column('safety_misses', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cbm_average', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('cbm_bonus', sa.Float(), nullable=True))
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certainty', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('safety_miss', sa.Boolean(), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=500), nullable=False, server_default=''))
        batch_op.create_foreign_key(
            batch_op.f('fk_certificates_revoked_by_id_users'), 'users', ['revoked_by_id'], ['id'], ondelete='SET NULL'
        )
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), nullable=False, server_default='0'))
    op.create_table(
        'module_overrides',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.Integer(), nullable=False),
        sa.Column('extra_attempts', sa.Integer(), nullable=False),
        sa.Column('extra_minutes', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('extra_attempts >= 0', name=op.f('ck_module_overrides_extra_attempts_positive')),
        sa.CheckConstraint('extra_minutes >= 0', name=op.f('ck_module_overrides_extra_minutes_positive')),
        sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_module_overrides_granted_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_module_overrides_module_id_modules'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_module_overrides_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_module_overrides')),
        sa.UniqueConstraint('user_id', 'module_id', name='uq_module_overrides_user_module'),
    )
    with op.batch_alter_table('module_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_overrides_module_id'), ['module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_module_overrides_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('module_overrides', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_overrides_user_id'))
        batch_op.drop_index(batch_op.f('ix_module_overrides_module_id'))
    op.drop_table('module_overrides')
    with op.batch_alter_table('review_cards', schema=None) as batch_op:
        batch_op.drop_column('priority')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificates_revoked_by_id_users'), type_='foreignkey')
        batch_op.drop_column('revoked_reason')
        batch_op.drop_column('revoked_by_id')
        batch_op.drop_column('revoked_at')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('safety_miss')
        batch_op.drop_column('certainty')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('cbm_bonus')
        batch_op.drop_column('cbm_average')
        batch_op.drop_column('safety_misses')
        batch_op.drop_column('draw')
