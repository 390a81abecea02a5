"""The `ebike-voice` command."""

import argparse
import os
import sys
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from service.audit.service import install_audit
from service.auth.models import Role
from service.config import get_settings
from service.observability.logs import configure_logging

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from service.tts.base import TTSEngine


def _serve(args: argparse.Namespace) -> None:
    import subprocess

    import uvicorn

    from service.observability.multiprocess import shared_metrics

    # The schema upgrade in a process of its own: with one worker this process is the server, and Alembic
    # and the migration scripts would stay in its memory (~9 MB) for good.
    migrated = subprocess.run([sys.executable, "-m", "service", "migrate"], check=False)
    if migrated.returncode:
        sys.exit(migrated.returncode)
    if args.no_access_log:  # our middleware writes the access log: quiet it, in every worker, for load tests
        os.environ["EBIKE_VOICE_ACCESS_LOG"] = "false"
        get_settings.cache_clear()
    with shared_metrics(get_settings().data_dir):  # before anything here imports prometheus_client
        uvicorn.run(
            "service.main:serve_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_config=None,
            access_log=False,
            http="httptools",
        )


def _database() -> "Engine":
    """The database, created or upgraded to the latest schema first (as `serve` does): every command
    that reads or writes it starts here, so none meets a missing table on a fresh data dir."""
    from alembic.util import CommandError

    from service.db import make_engine
    from service.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    engine = make_engine(url)
    try:
        upgrade(url, engine)
    except CommandError as exc:  # e.g. a schema newer than this version knows
        engine.dispose()
        sys.exit(f"error: the database schema cannot be upgraded: {exc}")
    except BaseException:
        engine.dispose()
        raise
    return engine


def _migrate(_args: argparse.Namespace) -> None:
    _database().dispose()
    print("database is at the latest schema")


def _retention(_args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from service.events.service import drop_old_events
    from service.timeutil import utcnow

    settings = get_settings()
    if settings.event_retention_months < 1:
        sys.exit("EBIKE_VOICE_EVENT_RETENTION_MONTHS is not set: the event log is kept whole")
    engine = _database()
    try:
        with Session(engine) as session:
            dropped = drop_old_events(session=session, months=settings.event_retention_months, now=utcnow())
    finally:
        engine.dispose()
    for partition in dropped.partitions:
        print(f"dropped partition {partition}")
    print(
        f"deleted {dropped.events} events older than {settings.event_retention_months} months; "
        "the stats keep them"
    )


def _keys_create(args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from service.auth.service import create_key
    from service.errors import ServiceError

    engine = _database()
    try:
        with Session(engine) as session:
            api_key, plain = create_key(
                session=session,
                role=Role(args.role),
                name=args.name,
                issuer=args.issuer,
                fleet_ids=args.fleet,
            )
    except ServiceError as exc:
        sys.exit(f"error: {exc.message}")
    finally:
        engine.dispose()
    print(f"created {api_key.role.value} key {api_key.id} ({api_key.name}); it is shown only this once:")
    print(plain)


def _demo(args: argparse.Namespace) -> None:
    from service.clips.synthesis import build_synthesizer
    from service.demo.progress import terminal_progress
    from service.demo.service import load_demo

    settings = get_settings()
    engine = _database()
    settings.clips_dir.mkdir(parents=True, exist_ok=True)
    synthesizer = build_synthesizer(settings, engine)
    try:
        with terminal_progress() as progress:
            keys = load_demo(db=engine, synthesizer=synthesizer, ride_days=args.ride_days, progress=progress)
    finally:
        synthesizer.shutdown()
        engine.dispose()
    base = f"http://{args.host}:{args.port}"
    print(
        f"""
Demo loaded into {_shown(settings.effective_database_url)}
  admin key:    {keys.admin}
  police key:   {keys.police}   (宁边路派出所)
  operator key: {keys.operator}   (fleets beiting, tingzhou)
API docs: {base}/docs  (OpenAPI: {base}/openapi.json)
Try:  curl -H 'Authorization: Bearer {keys.admin}' {base}/v1/stats/coverage
"""
    )


def _simulate(args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from service.demo.progress import terminal_progress
    from service.demo.simulate import simulate
    from service.errors import ServiceError

    engine = _database()
    try:
        with Session(engine) as session, terminal_progress() as progress:
            report = simulate(
                session=session,
                days=args.days,
                bikes=args.bikes,
                zones=args.zones,
                seed=args.seed,
                progress=progress,
            )
    except ServiceError as exc:
        sys.exit(f"error: {exc.message}")
    finally:
        engine.dispose()
    print(
        f"simulated {report.events} events of {report.bikes} bikes over {report.zones} zones "
        f"({report.zones_visited} visited), {report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}"
    )


def _lexicon() -> dict[str, str]:
    """The admins' lexicon from the database; the built-in one where there is no database yet."""
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import Session

    from service.db import make_engine
    from service.lexicon.service import load_lexicon
    from service.tts.normalize import DEFAULT_LEXICON

    engine = make_engine(get_settings().effective_database_url)
    try:
        with Session(engine) as session:
            return load_lexicon(session=session)
    except SQLAlchemyError:
        return DEFAULT_LEXICON
    finally:
        engine.dispose()


def _normalize(args: argparse.Namespace) -> None:
    from service.tts.normalize import normalize_text

    print(normalize_text(args.text, args.language, _lexicon()))


def _engines(name: str | None) -> "list[TTSEngine]":
    from service.tts.chain import build_engines

    settings = get_settings()
    return build_engines(settings.model_copy(update={"tts_engines": [name]}) if name else settings)


def _synth(args: argparse.Namespace) -> None:
    import shutil

    from service.clips.storage import clip_path
    from service.clips.synthesis import build_synthesizer
    from service.db import make_engine
    from service.tts.base import TTSError

    settings = get_settings()
    db = make_engine(settings.effective_database_url)
    synthesizer = build_synthesizer(settings, db)
    synthesizer.maker.engines = _engines(args.engine)
    try:
        result = synthesizer.make_one(
            text=args.text,
            language=args.language,
            event=args.event,
            profile=args.profile,
            lexicon=_lexicon(),
        )
    except TTSError as exc:
        sys.exit(f"error: {exc}")
    finally:
        synthesizer.shutdown()
        db.dispose()
    if isinstance(result, str):
        sys.exit(f"error: {result}")
    shutil.copyfile(clip_path(settings.clips_dir, result.sha256, result.format), args.output)
    print(f"{args.output}: {result.profile}, {result.duration_ms} ms, {result.engine} {result.voice}")
    print(result.spoken_text)


def _resynthesize(args: argparse.Namespace) -> None:
    from service.clips.synthesis import build_synthesizer

    settings = get_settings()
    db = _database()
    synthesizer = build_synthesizer(settings, db)
    [engine] = _engines(args.engine or settings.tts_engines[0])
    try:
        remade, kept = synthesizer.resynthesize(engine)
    finally:
        synthesizer.shutdown()
        db.dispose()
    print(f"remade with {engine.name}: {remade} slogans; kept as they were ({engine.name} failed): {kept}")


def build_parser() -> argparse.ArgumentParser:
    from service.audio.profiles import DEFAULT_PROFILE, PROFILES
    from service.clips.models import LockEvent
    from service.slogans.models import LANGUAGES

    parser = argparse.ArgumentParser(prog="ebike-voice", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="create or upgrade the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-access-log", action="store_true", help="do not log every request")
    serve.set_defaults(func=_serve)

    migrate = commands.add_parser("migrate", help="create or upgrade the database schema")
    migrate.set_defaults(func=_migrate)

    retention = commands.add_parser(
        "retention", help="delete the event log older than EBIKE_VOICE_EVENT_RETENTION_MONTHS (stats stay)"
    )
    retention.set_defaults(func=_retention)

    demo = commands.add_parser("demo", help="load the demo data and synthesize its clips")
    demo.add_argument("--host", default="127.0.0.1", help="only for the URLs printed")
    demo.add_argument("--port", type=int, default=8000, help="only for the URLs printed")
    demo.add_argument(
        "--ride-days", type=int, default=7, choices=range(1, 32), metavar="1-31",
        help="days of simulated rides, when the log is empty (each day takes a while on PostgreSQL)",
    )  # fmt: skip
    demo.set_defaults(func=_demo)

    sim = commands.add_parser("simulate", help="generate realistic rides through the event write path")
    sim.add_argument("--days", type=int, default=30)
    sim.add_argument("--bikes", type=int, default=3200)
    sim.add_argument("--zones", type=int, default=65, help="how many of the stored zones riders use")
    sim.add_argument("--seed", type=int, default=1)
    sim.set_defaults(func=_simulate)
    normalize = commands.add_parser("normalize", help="print what will be spoken for TEXT")
    normalize.add_argument("text")
    normalize.add_argument("--language", default="zh-CN", choices=LANGUAGES)
    normalize.set_defaults(func=_normalize)

    synth = commands.add_parser("synth", help="speak TEXT into one clip file")
    synth.add_argument("text")
    synth.add_argument("-o", "--output", required=True, help="the file to write")
    synth.add_argument("--language", default="zh-CN", choices=LANGUAGES)
    synth.add_argument("--engine", choices=["edge", "espeak"], help="default: the configured chain")
    synth.add_argument("--profile", default=DEFAULT_PROFILE, choices=list(PROFILES))
    synth.add_argument("--event", choices=[e.value for e in LockEvent], help="open with this event's line")
    synth.set_defaults(func=_synth)

    resynth = commands.add_parser(
        "resynthesize", help="remake with the better engine the clips a fallback engine made"
    )
    resynth.add_argument("--engine", choices=["edge", "espeak"], help="default: the first configured")
    resynth.set_defaults(func=_resynthesize)

    keys = commands.add_parser("keys", help="manage API keys").add_subparsers(
        dest="keys_command", required=True
    )
    create = keys.add_parser("create", help="create a key; the key is printed alone on the last line")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True)
    create.add_argument("--issuer", help="for police keys: the police unit, e.g. 宁边路派出所")
    create.add_argument("--fleet", action="append", default=[], help="for operator keys; repeatable")
    create.set_defaults(func=_keys_create)
    return parser


def _shown(url: str) -> str:
    """A database URL fit to print: without its password."""
    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> None:
    configure_logging(get_settings())
    args = build_parser().parse_args(argv)
    install_audit()
    try:
        args.func(args)
    except SQLAlchemyError as exc:  # the database is unreachable, or refuses: one line, not a traceback
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        sys.exit(
            f"error: the database {_shown(get_settings().effective_database_url)} cannot be used: {reason} "
            "(check EBIKE_VOICE_DATABASE_URL)"
        )
