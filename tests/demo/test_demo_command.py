"""`ebike-voice demo` as a user runs it: in a terminal it shows its progress step by step; in a pipe or a
file it writes its result only, without a single escape code."""

import re
import subprocess

from tests.helpers import EBIKE_VOICE, ESCAPE, run_in_terminal

_KEYS = re.compile(r"admin key: +ebv_\S+\n  police key: +ebv_\S+ .*\n  operator key: +ebv_\S+ ")


def test_demo_shows_progress_in_a_terminal_and_none_in_a_pipe(fresh_env: dict[str, str]) -> None:
    shown = run_in_terminal([EBIKE_VOICE, "demo", "--ride-days", "2"], fresh_env | {"COLUMNS": "100"})
    text = shown.decode()
    assert ESCAPE.search(shown), "no progress display in a terminal"
    plain = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", text).replace("\r", "\n")
    # Each step, then done: 12 starter slogans, about 2,000 ride events.
    for step in ("zones, fleets and bikes", "slogans and their clips", "2 days of rides"):
        assert step in plain, plain[-2000:]
    # rich redraws ten times a second, so a count that lasts less than that may never be drawn: the
    # slogans' final count is certain, the rides' (seconds long) show their counts as they go.
    assert re.search(r"slogans and their clips .* 12/12 ", plain)
    rides = [(int(done), int(total)) for done, total in re.findall(r"2 days of rides .* (\d+)/(\d+) ", plain)]
    assert rides[0][0] < rides[-1][0] == rides[-1][1] > 500
    assert _KEYS.search(plain.replace("\n\n", "\n"))

    again = subprocess.run(
        [EBIKE_VOICE, "demo"], env=fresh_env, capture_output=True, timeout=300, check=False
    )
    assert again.returncode == 0, again.stderr
    assert not ESCAPE.search(again.stdout + again.stderr)
    assert b"slogans and their clips" not in again.stderr
    assert _KEYS.search(again.stdout.decode())
