"""Fresh Python interpreters that run this very source tree: the event writer process, and the schema
upgrade before serving. Each imports only what its work needs, and what it imports is gone when it ends."""

import os
import site
import sys
from pathlib import Path

import service

# Where `service` was imported from: the child imports the same code, installed or not.
SOURCE_ROOT = str(Path(service.__file__).resolve().parent.parent)


def python_command(code: str, *args: str) -> list[str]:
    """`code` run by this Python, with `args` as sys.argv[1:]. -P: not the current directory's modules."""
    return [sys.executable, "-P", "-c", code, *args]


def python_env() -> dict[str, str]:
    """This process's environment (the settings come from it), with the source tree on the path unless it
    is installed in site-packages (ahead of the standard library, that would let any package shadow it)."""
    env = dict(os.environ)
    if SOURCE_ROOT not in site.getsitepackages():
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [SOURCE_ROOT, os.environ.get("PYTHONPATH")]))
    return env
