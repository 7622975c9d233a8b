"""Admin "open now until …" / "closed now until …" override of the service hours.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_hours_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['set_by'], ['console_users.id'], name=op.f('fk_service_hours_overrides_set_by_console_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_hours_overrides'))
    )


def downgrade() -> None:
    op.drop_table('service_hours_overrides')
