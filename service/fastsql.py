"""The lock-event path's hot statements, run on the driver without SQLAlchemy's per-row work.

SQLAlchemy spends more per row turning values into the driver's form (type processors, parameter
dictionaries) than SQLite spends writing the row. The few statements that run for every round of lock
events are therefore compiled by SQLAlchemy once per dialect, with positional parameters, and run with
`exec_driver_sql` on tuples of values that `driver_values` has put in the form SQLAlchemy itself would
have stored: UTC datetimes (text on SQLite), ISO dates on SQLite, JSON text, enum values. The connection,
transaction and error handling stay SQLAlchemy's."""

import json
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

Convert = Callable[[Any], Any]


@lru_cache(maxsize=4096)  # a round's event times recur in several rollups
def _sqlite_datetime(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME text: naive UTC, microseconds always.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _json(value: Any) -> str:
    return json.dumps(value)


_AS_IS = (str, int, float, bytes, type(None))
_SQLITE: dict[type, Convert] = {datetime: _sqlite_datetime, date: date.isoformat, dict: _json, list: _json}
_POSTGRESQL: dict[type, Convert] = {
    datetime: lambda value: value.astimezone(UTC),
    date: lambda value: value,
    dict: _json,
    list: _json,
}


def _converter(by_type: dict[type, Convert]) -> Convert:
    def convert(value: Any) -> Any:
        kind = type(value)
        if kind in _AS_IS:
            return value
        found = by_type.get(kind)
        if found is not None:
            return found(value)
        if isinstance(value, Enum):
            return value.value
        raise TypeError(f"no driver form for {kind.__name__}")

    return convert


_sqlite_value = _converter(_SQLITE)
_postgresql_value = _converter(_POSTGRESQL)


def driver_values(dialect: Dialect) -> Convert:
    """The function that turns a Python value into what this dialect's driver is given for it."""
    return _postgresql_value if dialect.name == "postgresql" else _sqlite_value


def read_datetime(value: Any) -> datetime | None:
    """A time as the driver returns it (SQLite: text of naive UTC) as an aware UTC datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def read_date(value: Any) -> date | None:
    return value if value is None or isinstance(value, date) else date.fromisoformat(value)


def read_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def insert_for(conn: Connection, table: Table) -> Any:
    """INSERT with ON CONFLICT for the connection's dialect (both speak it)."""
    return insert_for_dialect(conn.dialect.name, table)


def insert_for_dialect(name: str, table: Table) -> Any:
    return (postgresql if name == "postgresql" else sqlite).insert(table)


def statement(build: Callable[[Connection], Any]) -> Callable[[Connection], Any]:
    """Build a statement once per dialect: constructing SQLAlchemy statements costs more than running
    these small ones."""
    built: dict[str, Any] = {}

    def get(conn: Connection) -> Any:
        name = conn.dialect.name
        if name not in built:
            built[name] = build(conn)
        return built[name]

    return get


def placeholder(dialect: Dialect) -> str:
    return "%s" if dialect.name == "postgresql" else "?"


class FastStatement:
    """A Core statement, built by `build(dialect_name)` and compiled once per dialect, run on tuples.
    `run` takes rows as mappings from the statement's parameter names (its columns for an INSERT)."""

    def __init__(self, build: Callable[[str], ClauseElement]) -> None:
        self._build = build
        self._compiled: dict[str, tuple[str, tuple[str, ...]]] = {}

    def _sql(self, dialect: Dialect) -> tuple[str, tuple[str, ...]]:
        found = self._compiled.get(dialect.name)
        if found is None:
            positional = dialect if dialect.positional else type(dialect)(paramstyle="format")
            compiled = self._build(dialect.name).compile(dialect=positional)
            assert compiled.positiontup is not None
            found = self._compiled[dialect.name] = (compiled.string, tuple(compiled.positiontup))
        return found

    def run(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
        sql, names = self._sql(conn.dialect)
        convert = driver_values(conn.dialect)
        params = [tuple([convert(row[name]) for name in names]) for row in rows]
        if params:
            conn.exec_driver_sql(sql, params)


def select_keys(
    conn: Connection,
    table: str,
    key_columns: Sequence[str],
    value_columns: Sequence[str],
    keys: Collection[Sequence[Any]],
    *,
    for_update: bool = False,
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """{key: values} for the rows of `table` with these keys, keys given and returned in driver form
    (see driver_values). The WHERE is one IN list per key column, which both databases answer from the
    index on the key (SQLite scans the table for a bare row-value IN), then the row-value IN for the exact
    keys. Keys are locked in their sorted order with `for_update` (PostgreSQL)."""
    if not keys:
        return {}
    mark = placeholder(conn.dialect)
    where: list[str] = []
    params: list[Any] = []
    for i, column in enumerate(key_columns):
        values = sorted({key[i] for key in keys})
        where.append(f"{column} IN ({', '.join([mark] * len(values))})")
        params += values
    row_marks = "(" + ", ".join([mark] * len(key_columns)) + ")"
    where.append(f"({', '.join(key_columns)}) IN (VALUES {', '.join([row_marks] * len(keys))})")
    for key in sorted(keys):
        params += key
    sql = (
        f"SELECT {', '.join([*key_columns, *value_columns])} FROM {table} WHERE {' AND '.join(where)}"
        f" ORDER BY {', '.join(key_columns)}"
    )
    if for_update:
        sql += " FOR UPDATE"
    width = len(key_columns)
    rows = conn.exec_driver_sql(sql, tuple(params)).fetchall()
    return {tuple(row[:width]): tuple(row[width:]) for row in rows}
