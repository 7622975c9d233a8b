"""Initial schema: cases, incident and contact details, consents, evidence, delivery claims,
channel addresses and channel state.

Timestamps are naive UTC columns (``bot.store.models.UTCDateTime`` adds the zone on read).

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('submission_key', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('conversation_key', sa.String(length=64), nullable=False),
    sa.Column('police_referral', sa.String(length=16), nullable=False),
    sa.Column('caseworker_requested', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference')),
    sa.UniqueConstraint('submission_key', name=op.f('uq_cases_submission_key'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_conversation_key'), ['conversation_key'], unique=False)

    op.create_table('channel_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('pseudonym', sa.String(length=64), nullable=False),
    sa.Column('address', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_addresses')),
    sa.UniqueConstraint('channel', 'pseudonym', name=op.f('uq_channel_addresses_channel_pseudonym'))
    )
    op.create_table('channel_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('pseudonym', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_state')),
    sa.UniqueConstraint('channel', 'pseudonym', 'key', name=op.f('uq_channel_state_channel_pseudonym_key'))
    )
    op.create_table('delivery_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('delivery_id', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_claims')),
    sa.UniqueConstraint('provider', 'delivery_id', name=op.f('uq_delivery_claims_provider_delivery_id'))
    )
    with op.batch_alter_table('delivery_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_claims_created_at'), ['created_at'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=32), nullable=False),
    sa.Column('wording_key', sa.String(length=100), nullable=False),
    sa.Column('wording_version', sa.String(length=32), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('given_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_consents_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_case_id'), ['case_id'], unique=False)

    op.create_table('contact_details',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_contact_details_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_contact_details'))
    )
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_key', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_evidence_case_id_cases')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_evidence_stored_name'))
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_conversation_key'), ['conversation_key'], unique=False)

    op.create_table('incident_details',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_incident_details_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_incident_details'))
    )


def downgrade() -> None:
    op.drop_table('incident_details')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_conversation_key'))
        batch_op.drop_index(batch_op.f('ix_evidence_case_id'))

    op.drop_table('evidence')
    op.drop_table('contact_details')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_case_id'))

    op.drop_table('consents')
    with op.batch_alter_table('delivery_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_claims_created_at'))

    op.drop_table('delivery_claims')
    op.drop_table('channel_state')
    op.drop_table('channel_addresses')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_conversation_key'))

    op.drop_table('cases')
