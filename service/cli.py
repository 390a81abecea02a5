"""The `ebike-voice` command."""

import argparse
import logging
import sys
import warnings

from service.auth.models import Role
from service.config import get_settings


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from service.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    uvicorn.run(
        "service.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        access_log=not args.no_access_log,
    )


def _migrate(_args: argparse.Namespace) -> None:
    from service.migrate import upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)
    print("database is at the latest schema")


def _retention(_args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from service.db import make_engine
    from service.events.service import drop_old_events
    from service.timeutil import utcnow

    settings = get_settings()
    if settings.event_retention_months < 1:
        sys.exit("EBIKE_VOICE_EVENT_RETENTION_MONTHS is not set: the event log is kept whole")
    engine = make_engine(settings.effective_database_url)
    try:
        with Session(engine) as session:
            deleted = drop_old_events(session=session, months=settings.event_retention_months, now=utcnow())
    finally:
        engine.dispose()
    print(
        f"deleted {deleted} events older than {settings.event_retention_months} months; the stats keep them"
    )


def _keys_create(args: argparse.Namespace) -> None:
    from sqlmodel import Session

    from service.auth.service import create_key
    from service.db import make_engine
    from service.errors import ServiceError

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
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
    from service.clips.models import LockEvent
    from service.clips.synthesis import Synthesizer
    from service.db import make_engine
    from service.demo.service import load_demo
    from service.migrate import upgrade
    from service.tts.chain import build_engines

    settings = get_settings()
    settings.clips_dir.mkdir(parents=True, exist_ok=True)
    url = settings.effective_database_url
    upgrade(url)
    engine = make_engine(url)
    synthesizer = Synthesizer(
        db=engine,
        engines=build_engines(settings),
        clips_dir=settings.clips_dir,
        openings={LockEvent.unlock: settings.unlock_opening, LockEvent.lock: settings.lock_opening},
    )
    try:
        keys = load_demo(db=engine, synthesizer=synthesizer)
    finally:
        synthesizer.shutdown()
        engine.dispose()
    base = f"http://{args.host}:{args.port}"
    print(
        f"""
Demo loaded into {url}
  admin key:    {keys.admin}
  police key:   {keys.police}   (宁边路派出所)
  operator key: {keys.operator}   (fleets beiting, tingzhou)
API docs: {base}/docs  (OpenAPI: {base}/openapi.json)
Try:  curl -H 'Authorization: Bearer {keys.admin}' {base}/v1/stats/coverage
"""
    )


def build_parser() -> argparse.ArgumentParser:
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
    demo.set_defaults(func=_demo)

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


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # pydub looks for ffmpeg on PATH when imported; service.audio.ffmpeg points it at the wheel's binary.
    warnings.filterwarnings("ignore", "Couldn't find ff", RuntimeWarning)
    args = build_parser().parse_args(argv)
    args.func(args)
