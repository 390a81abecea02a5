"""What a long command (`demo`, `simulate`) is doing, shown on a terminal: a progress bar per step on
standard error (rich). Off when standard error is not a terminal: a pipe or a log file gets no escape
codes, only the command's result on standard output."""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class Steps(Protocol):
    def step(self, description: str, total: int) -> None:
        """A new step of `total` parts (the last one is then finished)."""

    def advance(self, parts: int = 1) -> None: ...


class Quiet:
    def step(self, description: str, total: int) -> None:
        pass

    def advance(self, parts: int = 1) -> None:
        pass


class _Bars:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def step(self, description: str, total: int) -> None:
        self.finish()
        self._task = self._progress.add_task(description, total=total)

    def advance(self, parts: int = 1) -> None:
        if self._task is not None:
            self._progress.advance(self._task, parts)

    def finish(self) -> None:
        if self._task is not None:
            task = self._progress.tasks[self._task]
            self._progress.update(self._task, completed=task.total)


@contextmanager
def terminal_progress() -> Iterator[Steps]:
    if not sys.stderr.isatty():
        yield Quiet()
        return
    console = Console(file=sys.stderr, force_terminal=True)
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        bars = _Bars(progress)
        yield bars
        bars.finish()
