"""report summaries: per-topic marks of each submitted attempt, and a cached item analysis per version

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 06:50:00.000000

``attempt_topics`` is filled from the answers of every attempt already submitted, so the
heatmap shows the same figures before and after the upgrade.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attempt_topics',
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.Integer(), nullable=False),
        sa.Column('awarded', sa.Float(), nullable=False),
        sa.Column('points', sa.Float(), nullable=False),
        sa.Column('items', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_attempt_topics_attempt_id_attempts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_attempt_topics_module_id_modules'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_attempt_topics_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('attempt_id', 'topic', name=op.f('pk_attempt_topics')),
    )
    with op.batch_alter_table('attempt_topics', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_topics_user_module', ['user_id', 'module_id'], unique=False)
    op.create_table(
        'version_analyses',
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_attempt_id', sa.Integer(), nullable=True),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['module_versions.id'], name=op.f('fk_version_analyses_version_id_module_versions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('version_id', name=op.f('pk_version_analyses')),
    )
    op.execute(
        "INSERT INTO attempt_topics (attempt_id, topic, user_id, module_id, awarded, points, items) "
        "SELECT a.id, ans.topic, a.user_id, a.module_id, COALESCE(SUM(ans.awarded), 0), COALESCE(SUM(ans.points), 0), "
        "COUNT(ans.id) FROM answers ans JOIN attempts a ON a.id = ans.attempt_id "
        "WHERE a.status = 'submitted' GROUP BY a.id, ans.topic, a.user_id, a.module_id"
    )


def downgrade():
    op.drop_table('version_analyses')
    with op.batch_alter_table('attempt_topics', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_topics_user_module')
    op.drop_table('attempt_topics')
