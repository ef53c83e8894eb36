"""tips: tips, plates, photos, messages, linked cases

Revision ID: 0003_tips
Revises: 0002_cases
Create Date: 2026-11-23 16:47:04.046215

"""
from alembic import op
import sqlalchemy as sa

import core.base


# revision identifiers, used by Alembic.
revision = '0003_tips'
down_revision = '0002_cases'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('received', 'accepted', 'investigating', 'verified', 'partly_verified', 'unfounded', 'unverifiable', 'closed', name='tipstatus', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('channel', sa.Enum('web', 'hotline_12328', 'hotline_12345', 'transfer', name='tipchannel', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('what', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('occurred_at', core.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('receipt_lookup', sa.String(length=16), nullable=False),
    sa.Column('receipt_hash', sa.String(length=255), nullable=False),
    sa.Column('identity_salt', sa.String(length=32), nullable=False),
    sa.Column('name_enc', sa.Text(), nullable=True),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('wants_reward', sa.Boolean(), nullable=False),
    sa.Column('verdict', sa.Enum('verified', 'partly_verified', 'unfounded', 'unverifiable', name='tipverdict', native_enum=False, create_constraint=True, length=32), nullable=True),
    sa.Column('verdict_reason', sa.Text(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', core.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('concluded_at', core.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replied_at', core.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accept_due_on', sa.Date(), nullable=False),
    sa.Column('conclude_due_on', sa.Date(), nullable=True),
    sa.Column('reply_due_on', sa.Date(), nullable=True),
    sa.CheckConstraint('(lat IS NULL) = (lng IS NULL)', name=op.f('ck_tips_point_complete')),
    sa.CheckConstraint('(verdict IS NULL) = (concluded_at IS NULL)', name=op.f('ck_tips_verdict_concluded')),
    sa.CheckConstraint('lat IS NULL OR (lat BETWEEN -90 AND 90)', name=op.f('ck_tips_lat_range')),
    sa.CheckConstraint('lng IS NULL OR (lng BETWEEN -180 AND 180)', name=op.f('ck_tips_lng_range')),
    sa.CheckConstraint('merged_into_id IS NULL OR merged_into_id <> id', name=op.f('ck_tips_not_merged_self')),
    sa.CheckConstraint('verdict IS NULL OR verdict_reason IS NOT NULL', name=op.f('ck_tips_verdict_has_reason')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tips_created_by_id_users')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['tips.id'], name=op.f('fk_tips_merged_into_id_tips')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_tips_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tips')),
    sa.UniqueConstraint('receipt_lookup', name=op.f('uq_tips_receipt_lookup'))
    )
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tips_accept_due_on'), ['accept_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_tips_conclude_due_on'), ['conclude_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_tips_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tips_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tips_reply_due_on'), ['reply_due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_tips_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_tips_unit_status', ['unit_id', 'status'], unique=False)

    op.create_table('tip_cases',
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('linked_by_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', core.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_tip_cases_case_id_cases')),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_tip_cases_linked_by_id_users')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_cases_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tip_id', 'case_id', name=op.f('pk_tip_cases'))
    )
    with op.batch_alter_table('tip_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_cases_case_id'), ['case_id'], unique=False)

    op.create_table('tip_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('from_informant', sa.Boolean(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('at', core.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_tip_messages_author_id_users')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_messages_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_messages'))
    )
    with op.batch_alter_table('tip_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_messages_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('mime', sa.String(length=100), nullable=False),
    sa.Column('created_at', core.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size > 0', name=op.f('ck_tip_photos_size_positive')),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_photos_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_photos')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_tip_photos_stored_name'))
    )
    with op.batch_alter_table('tip_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_photos_tip_id'), ['tip_id'], unique=False)

    op.create_table('tip_plates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tip_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['tip_id'], ['tips.id'], name=op.f('fk_tip_plates_tip_id_tips'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tip_plates'))
    )
    with op.batch_alter_table('tip_plates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tip_plates_plate'), ['plate'], unique=False)
        batch_op.create_index(batch_op.f('ix_tip_plates_tip_id'), ['tip_id'], unique=False)



def downgrade():
    with op.batch_alter_table('tip_plates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_plates_tip_id'))
        batch_op.drop_index(batch_op.f('ix_tip_plates_plate'))

    op.drop_table('tip_plates')
    with op.batch_alter_table('tip_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_photos_tip_id'))

    op.drop_table('tip_photos')
    with op.batch_alter_table('tip_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_messages_tip_id'))

    op.drop_table('tip_messages')
    with op.batch_alter_table('tip_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tip_cases_case_id'))

    op.drop_table('tip_cases')
    with op.batch_alter_table('tips', schema=None) as batch_op:
        batch_op.drop_index('ix_tips_unit_status')
        batch_op.drop_index(batch_op.f('ix_tips_unit_id'))
        batch_op.drop_index(batch_op.f('ix_tips_reply_due_on'))
        batch_op.drop_index(batch_op.f('ix_tips_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_tips_created_at'))
        batch_op.drop_index(batch_op.f('ix_tips_conclude_due_on'))
        batch_op.drop_index(batch_op.f('ix_tips_accept_due_on'))

    op.drop_table('tips')
