"""sign-in throttle counts in the database, and the client address of each audit event

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:00:00.000000

Without Redis, each app server (or gunicorn worker) counted failed sign-ins on its own, so
two workers let twice the limit through. ``rate_limits`` holds the counts where every
server already looks. Audit events get the address the request came from; older events
have none.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_limits',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limits')),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=45), nullable=False, server_default=''))
        batch_op.create_index('ix_audit_events_address', ['address'], unique=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_address')
        batch_op.drop_column('address')
    op.drop_table('rate_limits')
