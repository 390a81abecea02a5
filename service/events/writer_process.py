"""The event pipeline's rounds in a process of their own (EBIKE_VOICE_EVENT_WRITER=process, the default
for `ebike-voice serve`).

In one process, the event loop (HTTP, validation, answers) and the pipeline thread (decisions, SQL, the
commit) take turns at one interpreter lock: under the lock-event benchmark's load the worker used 0.84
of a core, however many cores there were. Here each worker starts a child process that runs the very
same rounds (service.events.service.Rounds) on its own engine and snapshot; the worker sends it each
round's events as plain tuples down a pipe and gets the answers back. With nothing to wait for between
rounds, a round starts as soon as the last one is answered (no linger): the events that came in meanwhile
make the next round.

If the child dies, the round it had is answered 503 with Retry-After (the events may or may not have been
logged: the retries find out, as with any lost answer) and a new child is started for the next round. The
child ends when its worker does (the pipe closes)."""

import logging
import multiprocessing
import pickle
import random
from multiprocessing.connection import Connection
from typing import Any

from service.auth.models import ApiKey, Role
from service.clips.models import LockEvent
from service.config import Settings
from service.events.batching import Batcher
from service.events.models import EventIn
from service.events.service import Outcome, Round, Rounds
from service.events.snapshot import SnapshotHolder
from service.events.writer import LogUnavailable

log = logging.getLogger(__name__)

STARTUP_S = 60.0
_READY = b"ready"
# An event as it goes down the pipe: (event_id, fleet_id, bike_id, event, lat, lon, occurred_at), and the
# key it came with as (key id, the key's fleets): all a round needs of them, already validated.
_Packed = tuple[tuple[str, str, str, str, float, float, Any], tuple[int | None, tuple[str, ...]]]


class WriterProcess(Batcher[tuple[EventIn, ApiKey], Outcome]):
    """A worker's event pipeline with its rounds in a child process (same interface as EventPipeline)."""

    def __init__(self, settings: Settings, snapshots: SnapshotHolder) -> None:
        self._settings = settings
        self._snapshots = snapshots  # the worker's own: what it invalidates, the child's holder does too
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._pipe: Connection | None = None
        self._start()
        super().__init__("event-writer", self._round, linger_s=0.0)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def close(self) -> None:
        super().close()
        self._stop()

    def _start(self) -> None:
        pipe, child_end = self._context.Pipe()
        process = self._context.Process(
            target=serve_rounds, args=(child_end, self._settings), name="event-writer", daemon=True
        )
        process.start()
        child_end.close()
        self._process, self._pipe = process, pipe
        if not pipe.poll(STARTUP_S) or pipe.recv_bytes() != _READY:
            self._stop()
            raise RuntimeError("the event writer process did not start")

    def _stop(self) -> None:
        if self._pipe is not None:
            self._pipe.close()  # the child sees the end of its input and exits
            self._pipe = None
        if self._process is not None:
            self._process.join(10)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process = None

    def _round(self, batch: Round) -> list[list[Outcome] | Exception]:
        packed = [[_pack(event_in, api_key) for event_in, api_key in submitted] for submitted in batch]
        message = pickle.dumps((self._snapshots.invalidations, packed), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            if self._pipe is None:
                self._start()
            assert self._pipe is not None
            self._pipe.send_bytes(message)
            outcomes: list[list[Outcome] | Exception] = pickle.loads(self._pipe.recv_bytes())
            return outcomes
        except (OSError, EOFError, RuntimeError, pickle.UnpicklingError):
            log.exception("the event writer process failed; starting another one for the next round")
            self._stop()
            return [LogUnavailable("the event writer restarted; retry")] * len(batch)


def _pack(event_in: EventIn, api_key: ApiKey) -> _Packed:
    event = (
        event_in.event_id, event_in.fleet_id, event_in.bike_id, event_in.event.value,
        event_in.lat, event_in.lon, event_in.occurred_at,
    )  # fmt: skip
    return event, (api_key.id, tuple(api_key.fleet_ids))


def serve_rounds(pipe: Connection, settings: Settings) -> None:
    """The child: run each round that comes down the pipe, send back its outcomes, until the pipe closes."""
    from service.db import make_engine
    from service.observability.logs import configure_logging

    configure_logging(json_logs=settings.log_format == "json", level=settings.log_level)
    engine = make_engine(settings.effective_database_url)
    snapshots = SnapshotHolder(engine, settings)
    snapshots.get()
    rounds = Rounds(engine, snapshots, random.Random(), settings.tz)
    keys: dict[tuple[int | None, tuple[str, ...]], ApiKey] = {}
    invalidations = 0
    try:
        pipe.send_bytes(_READY)
        while True:
            try:
                seen, packed = pickle.loads(pipe.recv_bytes())
            except EOFError:
                return
            if seen != invalidations:  # the worker changed something the decisions use: look now
                invalidations = seen
                snapshots.invalidate()
            batch = [[_unpack(item, keys) for item in submitted] for submitted in packed]
            try:
                outcomes = rounds.run(batch)
            except Exception as exc:  # noqa: BLE001  (each waiting request gets a 503 it can retry)
                log.exception("a round of %d events failed", sum(len(s) for s in batch))
                failed = LogUnavailable(f"the event log is unavailable ({type(exc).__name__}); retry")
                outcomes = [failed] * len(batch)
            try:
                pipe.send_bytes(pickle.dumps(outcomes, protocol=pickle.HIGHEST_PROTOCOL))
            except OSError:
                return  # the worker is gone
    finally:
        rounds.close()
        engine.dispose()


def _unpack(item: _Packed, keys: dict[tuple[int | None, tuple[str, ...]], ApiKey]) -> tuple[EventIn, ApiKey]:
    (event_id, fleet_id, bike_id, event, lat, lon, occurred_at), key = item
    api_key = keys.get(key)
    if api_key is None:
        api_key = keys[key] = ApiKey(
            id=key[0], name="", role=Role.operator, key_hash="", fleet_ids=list(key[1])
        )
    event_in = EventIn.model_construct(
        event_id=event_id,
        fleet_id=fleet_id,
        bike_id=bike_id,
        event=LockEvent(event),
        lat=lat,
        lon=lon,
        occurred_at=occurred_at,
    )
    return event_in, api_key
