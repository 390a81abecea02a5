"""A thread that takes everything submitted since its last round and handles it in one go.

Python threads share one interpreter lock: forty request threads each doing their own queries spend more
time handing the lock around than working. The lock-event path instead funnels its events through one
thread (service.EventPipeline), which decides and logs whole rounds in one transaction each."""

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

from service.errors import ServiceError

In = TypeVar("In")
Out = TypeVar("Out")


class ShuttingDown(ServiceError):
    status_code = 503


class Waiter(Generic[Out]):
    """Who waits for a submission: a thread (a concurrent Future) or a coroutine on an event loop."""

    __slots__ = ("future", "loop")

    def __init__(
        self, future: "Future[list[Out]] | asyncio.Future[list[Out]]", loop: asyncio.AbstractEventLoop | None
    ):
        self.future = future
        self.loop = loop


class Batcher(Generic[In, Out]):
    """`handle` gets the submissions queued since its last round (each a list of items) and returns, per
    submission, its outcomes or the exception to raise to its submitter. After a round, each event loop
    with waiters is woken once for all of them (not once per request)."""

    def __init__(
        self,
        name: str,
        handle: Callable[[list[list[In]]], list[list[Out] | Exception]],
    ) -> None:
        self._handle = handle
        self._cond = threading.Condition()
        self._queue: list[tuple[list[In], Waiter[Out]]] = []
        self._closed = False
        self.rounds = 0  # batches handled, for tests and the curious
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _enqueue(self, items: list[In], waiter: Waiter[Out]) -> None:
        with self._cond:
            if self._closed:
                raise ShuttingDown("the server is shutting down; retry")
            self._queue.append((items, waiter))
            self._cond.notify()

    def submit(self, items: list[In]) -> Future[list[Out]]:
        future: Future[list[Out]] = Future()
        self._enqueue(items, Waiter(future, None))
        return future

    def call(self, items: list[In]) -> list[Out]:
        """Submit and block until handled."""
        return self.submit(items).result()

    async def call_async(self, items: list[In]) -> list[Out]:
        """Submit and await, holding no thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Out]] = loop.create_future()
        self._enqueue(items, Waiter(future, loop))
        return await future

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if not self._queue:
                    return
            # A round takes whatever came in while the last one ran: under load rounds fill by themselves.
            with self._cond:
                batch, self._queue = self._queue, []
            try:
                outcomes = self._handle([items for items, _ in batch])
            except Exception as exc:  # noqa: BLE001  (whatever failed is each submitter's answer)
                outcomes = [exc] * len(batch)
            self.rounds += 1
            wake([(waiter, outcome) for (_, waiter), outcome in zip(batch, outcomes, strict=True)])


def wake(woken: "list[tuple[Waiter[Any], Any]]") -> None:
    """Give each waiter its outcome (a list of outcomes, or the exception to raise): a waiting thread at
    once, each event loop once for all of its waiters."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Any, Any]]] = {}
    for waiter, outcome in woken:
        if waiter.loop is None:
            _settle(waiter.future, outcome)
        else:
            by_loop.setdefault(waiter.loop, []).append((waiter.future, outcome))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_settle_all, settled)


def _settle(future: Any, outcome: Any) -> None:
    if future.done():  # an awaiting request that was cancelled (its client went away)
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _settle_all(settled: list[tuple[Any, Any]]) -> None:
    for future, outcome in settled:
        _settle(future, outcome)
