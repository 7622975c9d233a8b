"""Server-side "my report" grants: a keyed hash of the conversation, the case, an expiry.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_access_grants_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_grants'))
    )
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_grants_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_grants_subject'), ['subject'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('access_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_grants_subject'))
        batch_op.drop_index(batch_op.f('ix_access_grants_case_id'))
    op.drop_table('access_grants')
