"""`make bench`: runs every bench/bench_*.py module's `main()` in turn, or only those named:
`python -m bench events speech`."""

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(selected: list[str]) -> None:
    names = sorted(
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
    )
    if selected:
        names = [n for n in names if n.removeprefix("bench_") in selected or n in selected]
    if not names:
        sys.exit("no benchmarks to run")
    for name in names:
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"== {name} done in {time.perf_counter() - started:.1f} s\n", flush=True)


main(sys.argv[1:])
