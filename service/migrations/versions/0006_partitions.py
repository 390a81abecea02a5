"""event log partitioned by month on PostgreSQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:00:00

On PostgreSQL lock_event becomes PARTITIONED BY RANGE (occurred_at), one partition per UTC month, with the
primary key (id, occurred_at) and a plain index on (event_id, operator); idempotency moves to the new table
event_key. The rows are copied into partitions for the months they are in, and the id sequence moves to the
new table, so ids go on from where they were. SQLite keeps its plain table and unique constraint.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.timeutil
from service.events.partitions import partition_bounds, partition_name, upcoming_months

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The index the stats' reads of the raw log use, made anew on either table.
OCCURRED_ZONE_INDEX = "CREATE INDEX ix_lock_event_occurred_zone ON lock_event (occurred_at, zone_id)"


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != 'postgresql':
        return
    _hold_writes()
    op.create_table('event_key',
    sa.Column('operator', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('occurred_at', service.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('operator', 'event_id')
    )
    op.execute("CREATE TABLE lock_event_partitioned (LIKE lock_event INCLUDING DEFAULTS) "
               "PARTITION BY RANGE (occurred_at)")
    present = conn.execute(sa.text(
        "SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')::date FROM lock_event"
    )).scalars()
    for month in sorted(set(present) | upcoming_months(service.timeutil.utcnow())):
        op.execute(f"CREATE TABLE {partition_name(month)} PARTITION OF lock_event_partitioned "
                   f"{partition_bounds(month)}")
    op.execute("INSERT INTO lock_event_partitioned SELECT * FROM lock_event")
    op.execute("INSERT INTO event_key (operator, event_id, occurred_at) "
               "SELECT operator, event_id, occurred_at FROM lock_event")
    _swap('lock_event_partitioned')
    op.execute("ALTER TABLE lock_event ADD CONSTRAINT lock_event_pkey PRIMARY KEY (id, occurred_at)")
    # event_id first: it also serves proof of play, which knows the event id and the fleets, not the operator.
    op.execute("CREATE INDEX ix_lock_event_event_id_operator ON lock_event (event_id, operator)")
    op.execute(OCCURRED_ZONE_INDEX)


def _hold_writes() -> None:
    """An event written meanwhile (by a node still running) would be missed by the copy and dropped with
    the old table: writers wait for the migration instead (then fail until they run this code: 503)."""
    op.execute("LOCK TABLE lock_event IN EXCLUSIVE MODE")


def _swap(new: str) -> None:
    """Put `new` in the place of lock_event; the id sequence goes with it (dropping its owner would drop
    it), so ids go on from where they were."""
    op.execute(f"ALTER SEQUENCE lock_event_id_seq OWNED BY {new}.id")
    op.execute("DROP TABLE lock_event")
    op.execute(f"ALTER TABLE {new} RENAME TO lock_event")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _hold_writes()
    op.execute("CREATE TABLE lock_event_plain (LIKE lock_event INCLUDING DEFAULTS)")
    op.execute("INSERT INTO lock_event_plain SELECT * FROM lock_event")
    _swap('lock_event_plain')
    op.execute("ALTER TABLE lock_event ADD CONSTRAINT lock_event_pkey PRIMARY KEY (id)")
    op.execute("ALTER TABLE lock_event ADD CONSTRAINT lock_event_operator_event_id_key "
               "UNIQUE (operator, event_id)")
    op.execute(OCCURRED_ZONE_INDEX)
    op.drop_table('event_key')
