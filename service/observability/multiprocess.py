"""The metrics of one `ebike-voice serve` shared by its processes (uvicorn's workers, their event writers):
prometheus_client's multiprocess mode, each process counting into files of its own in one directory, and
one scrape of any worker summing them all.

Nothing here imports prometheus_client: the directory must be in the environment before it is imported
(it picks its kind of counters then), in this process and in every process started from it."""

import contextlib
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@contextlib.contextmanager
def shared_metrics(data_dir: Path) -> Iterator[Path]:
    """`<data dir>/metrics/<host>-<pid>` for this server while it runs, named for this process so servers
    sharing a data dir (two nodes on one host) keep theirs apart. Cleaned at start: the server's own left
    over by an earlier one with the same name (a restarted container), and those of this host's servers
    that are no longer running; removed when the server ends."""
    root = data_dir / "metrics"
    host = socket.gethostname()
    mine = root / f"{host}-{os.getpid()}"
    for old in root.glob(f"{host}-*") if root.is_dir() else ():
        pid = old.name.rpartition("-")[2]
        if old == mine or (pid.isdigit() and not alive(int(pid))):
            shutil.rmtree(old, ignore_errors=True)
    mine.mkdir(parents=True)
    os.environ[DIR_ENV] = str(mine)
    try:
        yield mine
    finally:
        shutil.rmtree(mine, ignore_errors=True)
