"""targeting: zone regions, police units, languages and quiet hours; campaign regions, exclusions,
dayparts and daily caps; fleet regions; per-bike daily plays; the volume of each answer

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 10:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAMPAIGN_LISTS = ('regions', 'exclude_zone_ids', 'exclude_zone_kinds', 'exclude_regions', 'exclude_fleet_ids', 'dayparts')


def upgrade() -> None:
    with op.batch_alter_table('zone', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('police_unit', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('languages', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('volume', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quiet_hours', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_zone_region'), ['region'], unique=False)

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        for name in CAMPAIGN_LISTS:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('max_plays_per_bike_per_day', sa.Integer(), nullable=True))

    with op.batch_alter_table('fleet', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))

    with op.batch_alter_table('bike', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plays_day', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('plays_today', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('lock_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('volume', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lock_event', schema=None) as batch_op:
        batch_op.drop_column('volume')

    with op.batch_alter_table('bike', schema=None) as batch_op:
        batch_op.drop_column('plays_today')
        batch_op.drop_column('plays_day')

    with op.batch_alter_table('fleet', schema=None) as batch_op:
        batch_op.drop_column('region')

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('max_plays_per_bike_per_day')
        for name in reversed(CAMPAIGN_LISTS):
            batch_op.drop_column(name)

    with op.batch_alter_table('zone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zone_region'))
        batch_op.drop_column('quiet_hours')
        batch_op.drop_column('volume')
        batch_op.drop_column('languages')
        batch_op.drop_column('police_unit')
        batch_op.drop_column('region')
