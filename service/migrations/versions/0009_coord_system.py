"""fleet.coord_system: the coordinate system a fleet's backend reports positions in

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-03 14:00:00

Events, batches, explain and bikes CSV that name no coord_system are read in their fleet's; existing fleets
report WGS-84, as before.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('fleet', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'coord_system',
                sa.Enum('wgs84', 'gcj02', 'bd09', name='coordsystem', native_enum=False, length=20),
                nullable=False,
                server_default='wgs84',
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('fleet', schema=None) as batch_op:
        batch_op.drop_column('coord_system')
