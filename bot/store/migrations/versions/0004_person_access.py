"""Person-side access: secret word, police referral state, withdrawal ledger, additions, saved
drafts, attempt limits.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('police_referral_status', sa.String(length=16),
                                      nullable=False, server_default='none'))
        batch_op.add_column(sa.Column('police_referral_sent_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('secret_hash', sa.String(length=255), nullable=True))
    op.execute("UPDATE cases SET police_referral_status = 'pending' WHERE police_referral != 'none'")
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_channel', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_language', sa.String(length=16), nullable=True))

    op.create_table('case_additions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('addition_key', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_additions_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_additions')),
    sa.UniqueConstraint('addition_key', name=op.f('uq_case_additions_addition_key'))
    )
    with op.batch_alter_table('case_additions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_additions_case_id'), ['case_id'], unique=False)

    op.create_table('saved_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=255), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_drafts')),
    sa.UniqueConstraint('code', name=op.f('uq_saved_drafts_code'))
    )
    with op.batch_alter_table('saved_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_drafts_expires_at'), ['expires_at'], unique=False)

    op.create_table('access_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_attempts')),
    sa.UniqueConstraint('subject', name=op.f('uq_access_attempts_subject'))
    )


def downgrade() -> None:
    op.drop_table('access_attempts')
    with op.batch_alter_table('saved_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_drafts_expires_at'))
    op.drop_table('saved_drafts')
    with op.batch_alter_table('case_additions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_additions_case_id'))
    op.drop_table('case_additions')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_language')
        batch_op.drop_column('withdrawn_channel')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('secret_hash')
        batch_op.drop_column('police_referral_sent_at')
        batch_op.drop_column('police_referral_status')
