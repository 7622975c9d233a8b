"""Privacy: statistical records of anonymised cases, erasure records.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('statistical_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('incident_types', sa.JSON(), nullable=False),
    sa.Column('motivations', sa.JSON(), nullable=False),
    sa.Column('reporter_role', sa.String(length=32), nullable=True),
    sa.Column('place_type', sa.String(length=32), nullable=True),
    sa.Column('police_referral', sa.String(length=16), nullable=False),
    sa.Column('caseworker_requested', sa.Boolean(), nullable=False),
    sa.Column('anonymised_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statistical_records'))
    )
    with op.batch_alter_table('statistical_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statistical_records_month'), ['month'], unique=False)

    op.create_table('erasure_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('erased_at', sa.DateTime(), nullable=False),
    sa.Column('reference_hash', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_records'))
    )
    with op.batch_alter_table('erasure_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_records_reference_hash'), ['reference_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('erasure_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_records_reference_hash'))
    op.drop_table('erasure_records')
    with op.batch_alter_table('statistical_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statistical_records_month'))
    op.drop_table('statistical_records')
