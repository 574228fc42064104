"""module editors: who may change each module (admins always may)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 09:00:00.000000

Each existing module gets the one author its rows record: whoever published its first
version, or, for a module never published, whoever last changed its draft. A module the
command line or the starter packs brought in records nobody and starts without editors
(admins add them).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'module_editors',
        sa.Column('module_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_module_editors_added_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_module_editors_module_id_modules'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_module_editors_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('module_id', 'user_id', name=op.f('pk_module_editors')),
    )
    with op.batch_alter_table('module_editors', schema=None) as batch_op:
        batch_op.create_index('ix_module_editors_user', ['user_id'], unique=False)
    op.execute(
        "INSERT INTO module_editors (module_id, user_id, added_by_id, added_at) "
        "SELECT v.module_id, v.published_by_id, NULL, v.published_at FROM module_versions v "
        "WHERE v.published_by_id IS NOT NULL "
        "AND v.number = (SELECT MIN(e.number) FROM module_versions e WHERE e.module_id = v.module_id)"
    )
    op.execute(
        "INSERT INTO module_editors (module_id, user_id, added_by_id, added_at) "
        "SELECT d.module_id, d.updated_by_id, NULL, d.updated_at FROM module_drafts d "
        "WHERE d.updated_by_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM module_versions v WHERE v.module_id = d.module_id)"
    )


def downgrade():
    with op.batch_alter_table('module_editors', schema=None) as batch_op:
        batch_op.drop_index('ix_module_editors_user')
    op.drop_table('module_editors')
