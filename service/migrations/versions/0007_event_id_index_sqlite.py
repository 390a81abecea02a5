"""lookups by event id on SQLite

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 09:00:00

Proof of play finds an event by its id and the caller's fleets, not its operator: the unique constraint's
(operator, event_id) index cannot serve that, and SQLite read the whole log for each report. PostgreSQL got
the same index in 0006.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.create_index('ix_lock_event_event_id_operator', 'lock_event', ['event_id', 'operator'])


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.drop_index('ix_lock_event_event_id_operator', table_name='lock_event')
