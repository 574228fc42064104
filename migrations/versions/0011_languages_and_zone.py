"""languages and the academy's clock: the academy's language and time zone, a user's language,
and names folded for search

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:00:00.000000

The academy gets the language pages use when a user has chosen none (Vietnamese, as a new
academy starts) and the zone times are shown in (Hanoi's). Users and cohorts get their name
a second time as search compares it (no case, no tone marks), filled here for existing rows.
"""
from alembic import op
import sqlalchemy as sa

from training.services.folding import fold


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('academy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), server_default='vi', nullable=False))
        batch_op.add_column(
            sa.Column('time_zone', sa.String(length=64), server_default='Asia/Ho_Chi_Minh', nullable=False)
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_search_name'), ['search_name'], unique=False)
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_name', sa.String(length=120), server_default='', nullable=False))

    connection = op.get_bind()
    for table in ('users', 'cohorts'):
        rows = connection.execute(sa.text(f'SELECT id, name FROM {table}')).all()  # nosec B608 - fixed names
        for row_id, name in rows:
            connection.execute(
                sa.text(f'UPDATE {table} SET search_name = :folded WHERE id = :id'),  # nosec B608 - fixed names
                {'folded': fold(name), 'id': row_id},
            )


def downgrade():
    with op.batch_alter_table('cohorts', schema=None) as batch_op:
        batch_op.drop_column('search_name')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_search_name'))
        batch_op.drop_column('language')
        batch_op.drop_column('search_name')
    with op.batch_alter_table('academy', schema=None) as batch_op:
        batch_op.drop_column('time_zone')
        batch_op.drop_column('language')
