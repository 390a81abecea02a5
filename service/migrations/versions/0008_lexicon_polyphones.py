"""lexicon: polyphones and more acronyms

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:00:00

Adds slogans/lexicon.yaml's entries (at the time of writing) that a lexicon lacks: hanzi words whose
polyphone eSpeak NG reads wrong (还车 hái chē → 环车 huán chē, so every lock clip starts right) and acronyms
it reads as English words (ETC, POS, ID). Entries an admin already has are left as they are.
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import service.timeutil

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEED = {
    "etc": "ETC",
    "pos": "POS",
    "id": "ID",
    "还车": "环车",
    "还款": "环款",
    "还钱": "环钱",
    "还贷": "环贷",
}
_LEXICON = sa.table(
    "lexicon_entry",
    sa.column("word", sa.String()),
    sa.column("spoken", sa.String()),
    sa.column("updated_at", service.timeutil.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    have = set(op.get_bind().execute(sa.select(_LEXICON.c.word)).scalars())
    rows = [
        {"word": word, "spoken": spoken, "updated_at": datetime.now(UTC)}
        for word, spoken in _SEED.items()
        if word not in have
    ]
    if rows:
        op.bulk_insert(_LEXICON, rows)


def downgrade() -> None:
    for word, spoken in _SEED.items():
        op.execute(_LEXICON.delete().where(_LEXICON.c.word == word, _LEXICON.c.spoken == spoken))
