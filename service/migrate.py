"""Creates or upgrades the database schema through Alembic."""

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Engine

from service.db import make_engine
from service.events.partitions import is_partition

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Held while migrating on PostgreSQL, so nodes starting together upgrade one after the other.
MIGRATION_LOCK = 7_310_562_005


def include_object(dialect: str) -> Callable[..., bool]:
    """What Alembic compares with the models: not the log's month partitions (made at run time), and an
    object marked `info={"only_on": ...}` only on that database."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, _compare_to: Any) -> bool:
        if type_ == "table" and reflected and name is not None and is_partition(name):
            return False
        only_on = getattr(obj, "info", {}).get("only_on")
        return only_on is None or only_on == dialect

    return include


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, engine: Engine | None = None) -> None:
    own = engine is None
    engine = engine or make_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            before = MigrationContext.configure(connection).get_current_revision()
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            after = MigrationContext.configure(connection).get_current_revision()
    finally:
        if own:
            engine.dispose()
    if before is None:
        log.info("created the database schema (revision %s)", after)
    elif before != after:
        log.info("upgraded the database schema from revision %s to %s", before, after)
