"""speech: device profiles (fleet.profile, clip.profile) and the pronunciation lexicon

Revision ID: 0003
Revises: 0002
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import service.timeutil

revision: str = "0003"
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Seeded as the lexicon admins start from (service.tts.normalize.DEFAULT_LEXICON at the time of writing).
_SEED = {"app": "APP", "qq": "QQ", "atm": "ATM"}


def _old_clip_unique() -> str:
    # Unnamed in 0001: SQLite's batch mode names it through the naming convention below, PostgreSQL
    # named it itself.
    if op.get_bind().dialect.name == "sqlite":
        return "uq_clip_slogan_id"
    return "clip_slogan_id_event_format_key"


def upgrade() -> None:
    with op.batch_alter_table("fleet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("profile", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="mp3-16k")
        )

    with op.batch_alter_table("clip", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.execute("UPDATE clip SET profile = CASE format WHEN 'mp3' THEN 'mp3-16k' ELSE 'wav-16k' END")
    with op.batch_alter_table(
        "clip", schema=None, naming_convention={"uq": "uq_%(table_name)s_%(column_0_name)s"}
    ) as batch_op:
        batch_op.alter_column("profile", existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
        batch_op.drop_constraint(_old_clip_unique(), type_="unique")
        batch_op.create_unique_constraint("uq_clip_slogan_event_profile", ["slogan_id", "event", "profile"])

    lexicon = op.create_table(
        "lexicon_entry",
        sa.Column("word", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("spoken", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("updated_at", service.timeutil.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("word"),
    )
    op.bulk_insert(
        lexicon,
        [{"word": word, "spoken": spoken, "updated_at": datetime.now(UTC)} for word, spoken in _SEED.items()],
    )


def downgrade() -> None:
    op.drop_table("lexicon_entry")
    op.execute("DELETE FROM clip WHERE profile NOT IN ('mp3-16k', 'wav-16k')")
    with op.batch_alter_table("clip", schema=None) as batch_op:
        batch_op.drop_constraint("uq_clip_slogan_event_profile", type_="unique")
        batch_op.create_unique_constraint(None, ["slogan_id", "event", "format"])
        batch_op.drop_column("profile")
    with op.batch_alter_table("fleet", schema=None) as batch_op:
        batch_op.drop_column("profile")
