"""The lock-event path's hot statements, run on the driver without SQLAlchemy's per-row work.

SQLAlchemy spends more per row turning values into the driver's form (type processors, parameter
dictionaries) than SQLite spends writing the row. The few statements that run for every round of lock
events are therefore compiled by SQLAlchemy once per dialect, with positional parameters, and run with
`exec_driver_sql` on tuples of values that `driver_values` has put in the form SQLAlchemy itself would
have stored: UTC datetimes (text on SQLite), ISO dates on SQLite, JSON text, enum values.

On SQLite they go straight to the driver connection under SQLAlchemy's (the same transaction): SQLAlchemy's
execution context costs more than SQLite takes to run them. Driver errors are raised as SQLAlchemy's own
(sqlalchemy.exc.DBAPIError subclasses), so callers handle one kind. On PostgreSQL the statements go through
`exec_driver_sql`, which keeps psycopg's parameter handling and error translation."""

import json
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Enum as SAEnum
from sqlalchemy import Float, Integer, LargeBinary, String, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

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


def _plain(kind: TypeEngine[Any]) -> bool:
    """Whether both drivers take this column type's values as they are: text, numbers, bytes (not an
    Enum, which may be given members; not a TypeDecorator that processes what it binds)."""
    if isinstance(kind, AutoString):
        return True
    if isinstance(kind, TypeDecorator | SAEnum):
        return False
    return isinstance(kind, String | Integer | Float | LargeBinary)


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


class FastStatement:
    """A Core statement, built by `build(dialect_name)` and compiled once per dialect, run on tuples.
    `run` takes rows as mappings from the statement's parameter names (its columns for an INSERT)."""

    def __init__(self, build: Callable[[str], ClauseElement]) -> None:
        self._build = build
        self._compiled: dict[str, tuple[str, tuple[tuple[str, Convert | None], ...]]] = {}

    def _sql(self, dialect: Dialect) -> tuple[str, tuple[tuple[str, Convert | None], ...]]:
        """The SQL and, per parameter, its name and converter (None: text, numbers and bytes go as they
        are)."""
        found = self._compiled.get(dialect.name)
        if found is None:
            positional = dialect if dialect.positional else type(dialect)(paramstyle="format")  # type: ignore[call-arg]  # every dialect takes paramstyle; Dialect's stub does not say so
            compiled = cast(SQLCompiler, self._build(dialect.name).compile(dialect=positional))
            assert compiled.positiontup is not None
            convert = driver_values(dialect)
            params = tuple(
                (name, None if _plain(compiled.binds[name].type) else convert)
                for name in compiled.positiontup
            )
            found = self._compiled[dialect.name] = (compiled.string, params)
        return found

    def run(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
        """Run once per row; returns the number of rows the statement changed."""
        sql, names = self._sql(conn.dialect)
        params = [tuple([row[n] if c is None else c(row[n]) for n, c in names]) for row in rows]
        if not params:
            return 0
        driver = sqlite_driver(conn)
        if driver is None:
            return int(conn.exec_driver_sql(sql, params).rowcount)
        with _translated(sql, params):
            return driver.executemany(sql, params).rowcount


def sqlite_driver(conn: Connection) -> sqlite3.Connection | None:
    """The sqlite3 connection under a SQLAlchemy connection on SQLite (same transaction), else None."""
    if conn.dialect.name != "sqlite":
        return None
    return conn.connection.driver_connection


class _translated:
    """Raise a driver error as SQLAlchemy would have (IntegrityError, OperationalError, …)."""

    def __init__(self, sql: str, params: Any) -> None:
        self._sql = sql
        self._params = params

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, _tb: Any) -> None:
        if isinstance(exc, sqlite3.Error):
            raise DBAPIError.instance(self._sql, self._params, exc, sqlite3.Error) from exc


def lock_for_writing(conn: Connection) -> None:
    """Start the connection's transaction as a writer, so what it reads before its first write is what it
    writes over. SQLite: BEGIN IMMEDIATE takes the one write lock now (the driver would only begin a
    transaction at the first write, and reads before it could be stale by then); other writers wait their
    turn. PostgreSQL: rows are locked as they are read (FOR UPDATE), nothing to do here."""
    driver = sqlite_driver(conn)
    if driver is not None and not driver.in_transaction:
        with _translated("BEGIN IMMEDIATE", ()):
            driver.execute("BEGIN IMMEDIATE")


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
    (see driver_values). The keys go as parameters the SQL text does not depend on (SQLite: one JSON
    array; PostgreSQL: one array a key column), joined to the table on its key index. Rows are locked in
    their keys' sorted order with `for_update` (PostgreSQL)."""
    if not keys:
        return {}
    driver = sqlite_driver(conn)
    if driver is not None:
        return _sqlite_select_keys(driver, table, tuple(key_columns), tuple(value_columns), keys)
    sql = _postgresql_keys_sql(conn.dialect, table, tuple(key_columns), tuple(value_columns), for_update)
    columns = tuple(zip(*keys, strict=True))  # one array a key column
    rows = conn.exec_driver_sql(sql, tuple(list(values) for values in columns)).fetchall()
    width = len(key_columns)
    return {tuple(row[:width]): tuple(row[width:]) for row in rows}


@lru_cache(maxsize=64)
def _postgresql_keys_sql(
    dialect: Dialect,
    table: str,
    key_columns: tuple[str, ...],
    value_columns: tuple[str, ...],
    for_update: bool,
) -> str:
    # The keys as one array a column: the same SQL text every time, so psycopg prepares it once (the text
    # of an IN list of as many values as keys changes with every round, and PostgreSQL plans each anew).
    types = [SQLModel.metadata.tables[table].c[c].type.compile(dialect) for c in key_columns]
    arrays = ", ".join(f"%s::{kind}[]" for kind in types)
    on = " AND ".join(f"t.{c} = k.{c}" for c in key_columns)
    columns = ", ".join(f"t.{c}" for c in (*key_columns, *value_columns))
    order = ", ".join(f"t.{c}" for c in key_columns)
    sql = f"SELECT {columns} FROM {table} AS t JOIN unnest({arrays}) AS k({', '.join(key_columns)}) ON {on}"
    return sql + f" ORDER BY {order}" + (" FOR UPDATE OF t" if for_update else "")


def _sqlite_select_keys(
    driver: sqlite3.Connection,
    table: str,
    key_columns: tuple[str, ...],
    value_columns: tuple[str, ...],
    keys: Collection[Sequence[Any]],
) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    # The keys as one JSON parameter: the same SQL text every time, so SQLite prepares it once, and its
    # plan searches the whole key in the table's index for each key (EXPLAIN QUERY PLAN: SCAN keys, then
    # SEARCH <table> USING INDEX (<every key column>=?)).
    sql = _sqlite_keys_sql(table, key_columns, value_columns)
    param = (json.dumps([list(key) for key in keys]),)
    with _translated(sql, param):
        rows = driver.execute(sql, param).fetchall()
    width = len(key_columns)
    return {tuple(row[:width]): tuple(row[width:]) for row in rows}


@lru_cache(maxsize=64)
def _sqlite_keys_sql(table: str, key_columns: tuple[str, ...], value_columns: tuple[str, ...]) -> str:
    on = " AND ".join(f"{table}.{c} = json_extract(keys.value, '$[{i}]')" for i, c in enumerate(key_columns))
    columns = ", ".join(f"{table}.{c}" for c in (*key_columns, *value_columns))
    return f"SELECT {columns} FROM json_each(?) AS keys JOIN {table} ON {on}"
