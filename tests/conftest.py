"""Fixtures: a real database per test (SQLite file, or PostgreSQL when EBIKE_VOICE_TEST_POSTGRES_URL is set),
the real app with the real offline speech engine, and keys of each role."""

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, make_url, text
from sqlmodel import SQLModel

import service.models  # noqa: F401  (every table in SQLModel.metadata)
from service.auth.models import Role
from service.auth.service import create_key
from service.config import Settings
from service.db import make_engine
from service.lexicon.models import LexiconEntry
from service.main import create_app
from service.migrate import upgrade
from service.timeutil import utcnow
from service.tts.normalize import DEFAULT_LEXICON
from tests.tts.edge_server import EdgeServer

PG_URL = os.environ.get("EBIKE_VOICE_TEST_POSTGRES_URL")
postgres_only = pytest.mark.skipif(
    PG_URL is None, reason="PostgreSQL only: set EBIKE_VOICE_TEST_POSTGRES_URL (make test-pg)"
)


@contextmanager
def postgres_database() -> Iterator[str]:
    """An empty PostgreSQL database of its own on the test server, dropped afterwards."""
    import psycopg

    assert PG_URL is not None
    server = make_url(PG_URL)
    name = f"ebike_voice_test_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrated once per run: a SQLite file to copy, or a PostgreSQL database of the run's own."""
    if PG_URL is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite:///{path}")
        yield str(path)
        return
    with postgres_database() as url:
        upgrade(url)
        yield url


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    if PG_URL is None:
        path = tmp_path / "ebike-voice.db"
        shutil.copyfile(database_template, path)
        return f"sqlite:///{path}"
    engine = make_engine(database_template)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # The rows migrations seed, as a copy of the SQLite template keeps them: the shipped lexicon.
        rows = [{"word": w, "spoken": s, "updated_at": utcnow()} for w, s in DEFAULT_LEXICON.items()]
        conn.execute(insert(LexiconEntry), rows)
    engine.dispose()
    return database_template


@pytest.fixture
def fresh_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a new user's first command: a data dir that does not exist yet and, on
    PostgreSQL, an empty database (no schema); none of this machine's other EBIKE_VOICE_ settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBIKE_VOICE_")}
    env |= {"EBIKE_VOICE_DATA_DIR": str(tmp_path / "data"), "EBIKE_VOICE_TTS_ENGINES": "espeak"}
    if PG_URL is None:
        yield env
        return
    with postgres_database() as url:
        yield env | {"EBIKE_VOICE_DATABASE_URL": url}


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, tts_engines=["espeak"])


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def engine(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.engine  # type: ignore[attr-defined]


def make_key(client: TestClient, role: Role, **kwargs: Any) -> dict[str, str]:
    from sqlmodel import Session

    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        _, plain = create_key(session=session, role=role, name=f"test {role.value}", **kwargs)
    return {"Authorization": f"Bearer {plain}"}


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return make_key(client, Role.admin)


@pytest.fixture
def police(client: TestClient) -> dict[str, str]:
    return make_key(client, Role.police, issuer="宁边路派出所")


@pytest.fixture
def fleet(client: TestClient, admin: dict[str, str]) -> str:
    response = client.post(
        "/v1/fleets", json={"id": "beiting", "name": "北庭出行", "operator": "北庭出行公司"}, headers=admin
    )
    assert response.status_code == 201, response.text
    return "beiting"


@pytest.fixture
def operator(client: TestClient, fleet: str) -> dict[str, str]:
    return make_key(client, Role.operator, fleet_ids=[fleet])


@pytest.fixture
def edge_server() -> Iterator[EdgeServer]:
    """The local stand-in for edge-tts's service; see tests/tts/edge_server.py."""
    with EdgeServer() as server:
        yield server


@pytest.fixture
def dead_url() -> str:
    """An edge-tts URL on a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}/edge/v1?TrustedClientToken=test"
