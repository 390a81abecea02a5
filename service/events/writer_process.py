"""The event pipeline's rounds in a process of their own (EBIKE_VOICE_EVENT_WRITER=process, the default
for `ebike-voice serve`).

In one process, the event loop (HTTP, validation, answers) and the pipeline thread (decisions, SQL, the
commit) take turns at one interpreter lock: under the lock-event benchmark's load the worker used 0.84
of a core, however many cores there were. Here each worker starts a child process that runs the very
same rounds (service.events.service.Rounds) on its own engine and snapshot. The worker sends each request's
events down a pipe as plain tuples, numbered, the moment they are validated; the child takes everything
that has come down the pipe as one round, so a round starts the moment the last one is committed and
takes whatever came in meanwhile; a thread of the worker reads the answers and wakes the requests.

If the child dies, the requests waiting for it are answered 503 with Retry-After (their events may or may
not have been logged: the retries find out, as with any lost answer), and so are new ones while another
child starts (a second or two). The child ends when its worker stops, or dies (the pipe closes)."""

import asyncio
import contextlib
import logging
import pickle
import random
import signal
import socket
import subprocess
import threading
import time
from concurrent.futures import Future
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from service.auth.models import ApiKey, Role
from service.clips.models import LockEvent
from service.config import Settings
from service.db import make_engine
from service.events.batching import ShuttingDown, Waiter, wake
from service.events.models import EventIn
from service.events.service import Outcome, Rounds
from service.events.writer import LogUnavailable
from service.interpreter import python_command, python_env
from service.observability.logs import configure_logging
from service.targeting.snapshot import SnapshotHolder

log = logging.getLogger(__name__)

STARTUP_S = 60.0
# The child is a fresh interpreter that imports only what the rounds need (no FastAPI, no web routes, no
# speech engines): started with subprocess rather than multiprocessing, which would also start its resource
# tracker process and import the parent's main module (the whole `ebike-voice` command) in the child.
_CHILD = "import sys; from service.events.writer_process import main; main(int(sys.argv[1]))"
_READY = b"ready"
_STOP = b"stop"
_PROTOCOL = pickle.HIGHEST_PROTOCOL
# An event as it goes down the pipe: (event_id, fleet_id, bike_id, event, lat, lon, occurred_at), and the
# key it came with as (key id, the key's fleets): all a round needs of them, already validated.
_Packed = tuple[tuple[str, str, str, str, float, float, Any, Any], tuple[int | None, tuple[str, ...]]]


class WriterProcess:
    """A worker's event pipeline with its rounds in a child process (the interface of EventPipeline:
    `call_async`, `call`, `close`). Each submission goes down the pipe at once, numbered; the child answers
    a round's submissions in one message, by number; a thread of the worker reads the answers and wakes
    each event loop once per round."""

    def __init__(self, settings: Settings, snapshots: SnapshotHolder) -> None:
        self._settings = settings
        self._snapshots = snapshots  # the worker's own: what it invalidates, the child's holder does too
        self._lock = threading.Lock()  # the pipe in use, the numbering and the waiting
        self._send_lock = threading.Lock()  # one message at a time down the pipe
        self._waiting: dict[int, Waiter[Outcome]] = {}
        self._next = 0
        self._closed = False
        self._process: subprocess.Popen[bytes] | None = None
        self._pipe: Connection | None = None
        try:
            self._start()
        except RuntimeError:  # requests are answered 503 until the reader has started one
            log.exception("could not start the event writer process; trying again")
        self._reader = threading.Thread(target=self._read, name="event-writer-answers", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    async def call_async(self, items: list[tuple[EventIn, ApiKey]]) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Outcome]] = loop.create_future()
        self._submit(items, Waiter(future, loop))
        return await future

    def call(self, items: list[tuple[EventIn, ApiKey]]) -> list[Outcome]:
        future: Future[list[Outcome]] = Future()
        self._submit(items, Waiter(future, None))
        return future.result()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pipe = self._pipe
        if pipe is not None:
            with self._send_lock, contextlib.suppress(OSError):  # already gone
                pipe.send_bytes(_STOP)  # the child answers what it has, then ends
        self._reader.join(30)
        self._stop_process()

    def _submit(self, items: list[tuple[EventIn, ApiKey]], waiter: "Waiter[Outcome]") -> None:
        packed = [_pack(event_in, api_key) for event_in, api_key in items]
        with self._lock:
            if self._closed:
                raise ShuttingDown("the server is shutting down; retry")
            pipe = self._pipe
            if pipe is None:
                raise LogUnavailable("the event writer is restarting; retry")
            number = self._next
            self._next += 1
            self._waiting[number] = waiter
        message = pickle.dumps((self._snapshots.invalidations, number, packed), protocol=_PROTOCOL)
        try:
            # Not under self._lock: a full pipe waits for the child, which may wait for the answers'
            # reader, which needs self._lock.
            with self._send_lock:
                pipe.send_bytes(message)
        except OSError:
            with self._lock:
                unanswered = self._waiting.pop(number, None) is not None
            if unanswered:  # else the reader has answered it already (the child died: 503)
                raise LogUnavailable("the event writer is restarting; retry") from None

    def _read(self) -> None:
        """The answers, as the child sends them; when it dies, the waiting requests are answered 503 and
        another child is started."""
        while True:
            pipe = self._pipe
            try:
                if pipe is None:
                    raise EOFError
                answers: list[tuple[int, list[Outcome] | Exception]] = pickle.loads(pipe.recv_bytes())
            except (OSError, EOFError, pickle.UnpicklingError):
                with self._lock:
                    orphans, self._waiting = self._waiting, {}
                    self._pipe = None
                    closed = self._closed
                if pipe is not None:
                    if not closed and self._process is not None:
                        self._process.kill()  # so a send blocked on a full pipe fails instead of waiting
                    with self._send_lock:  # not while a request is being sent on it (its fd could be reused)
                        pipe.close()
                failure = (
                    ShuttingDown("the server is shutting down; retry")
                    if closed
                    else LogUnavailable("the event writer restarted; retry")
                )
                wake([(waiter, failure) for waiter in orphans.values()])
                if closed:
                    return
                log.error("the event writer process ended; starting another one")
                self._restart()
                with self._lock:
                    pipe = self._pipe if self._closed else None
                if pipe is not None:  # closed while it started: end it
                    with self._send_lock, contextlib.suppress(OSError):
                        pipe.send_bytes(_STOP)
                continue
            with self._lock:
                woken = [(self._waiting.pop(number, None), outcome) for number, outcome in answers]
            wake([(waiter, outcome) for waiter, outcome in woken if waiter is not None])

    def _restart(self) -> None:
        self._stop_process()
        while not self._closed:
            try:
                self._start()
                return
            except (OSError, RuntimeError):
                log.exception("could not start the event writer process; trying again")
                time.sleep(1)

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            process = subprocess.Popen(
                python_command(_CHILD, str(theirs.fileno())),
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=python_env(),
            )
        finally:
            theirs.close()
        pipe = Connection(ours.detach())
        try:
            pipe.send_bytes(pickle.dumps(self._settings, protocol=_PROTOCOL))
            ready = pipe.poll(STARTUP_S) and pipe.recv_bytes() == _READY
        except (OSError, EOFError):
            ready = False
        if not ready:
            pipe.close()
            process.kill()
            process.wait()
            raise RuntimeError("the event writer process did not start")
        with self._lock:
            self._process, self._pipe = process, pipe

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _pack(event_in: EventIn, api_key: ApiKey) -> _Packed:
    event = (
        event_in.event_id, event_in.fleet_id, event_in.bike_id, event_in.event.value,
        event_in.lat, event_in.lon, event_in.occurred_at, event_in.coord_system,
    )  # fmt: skip
    return event, (api_key.id, tuple(api_key.fleet_ids))


def main(fd: int) -> None:
    """The child process: its end of the socket pair is `fd`; the settings come first down it."""
    pipe = Connection(fd)
    try:
        settings: Settings = pickle.loads(pipe.recv_bytes())
    except EOFError:
        return  # the worker is gone already
    serve_rounds(pipe, settings)


def serve_rounds(pipe: Connection, settings: Settings) -> None:
    """Run each round that comes down the pipe, send back its outcomes, until the pipe closes."""
    # Ctrl-C reaches the whole process group: the worker ends this process (the pipe) when it stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError):  # what ps and top call it (Linux)
        Path("/proc/self/comm").write_text("event-writer")
    configure_logging(settings)
    engine = make_engine(settings.effective_database_url)
    snapshots = SnapshotHolder(engine, settings)
    try:
        snapshots.get()  # now rather than in the first round
    except Exception:  # noqa: BLE001  (the database may come later: the rounds answer 503 until then)
        log.warning("could not read the decision snapshot yet", exc_info=True)
    rounds = Rounds(engine, snapshots, random.Random(), settings.tz)
    keys: dict[tuple[int | None, tuple[str, ...]], ApiKey] = {}
    invalidations = 0
    try:
        pipe.send_bytes(_READY)
        stopping = False
        while not stopping:
            messages = []
            try:
                while not messages or pipe.poll(0):  # everything that came in meanwhile makes the round
                    data = pipe.recv_bytes()
                    if data == _STOP:
                        stopping = True
                        break
                    messages.append(pickle.loads(data))
            except EOFError:
                return  # the worker is gone
            if not messages:
                continue
            seen = max(message[0] for message in messages)
            if seen != invalidations:  # the worker changed something the decisions use: look now
                invalidations = seen
                snapshots.invalidate()
            batch = [[_unpack(item, keys) for item in packed] for _, _, packed in messages]
            try:
                outcomes = rounds.run(batch)
            except Exception as exc:  # noqa: BLE001  (each waiting request gets a 503 it can retry)
                log.exception("a round of %d events failed", sum(len(s) for s in batch))
                failed = LogUnavailable(f"the event log is unavailable ({type(exc).__name__}); retry")
                outcomes = [failed] * len(batch)
            answers = [(number, outcome) for (_, number, _), outcome in zip(messages, outcomes, strict=True)]
            try:
                pipe.send_bytes(pickle.dumps(answers, protocol=_PROTOCOL))
            except OSError:
                return  # the worker is gone
    finally:
        rounds.close()
        engine.dispose()


def _unpack(item: _Packed, keys: dict[tuple[int | None, tuple[str, ...]], ApiKey]) -> tuple[EventIn, ApiKey]:
    (event_id, fleet_id, bike_id, event, lat, lon, occurred_at, coord_system), key = item
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
        coord_system=coord_system,
    )
    return event_in, api_key
