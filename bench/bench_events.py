"""The lock-event path under load, against GET /healthz on the same server as the baseline.

Starts `ebike-voice serve` on the demo data (SQLite, one worker; then two workers, and PostgreSQL when
EBIKE_VOICE_BENCH_POSTGRES_URL or a local server is there), drives POST /v1/events with wrk — 32
connections, unique event ids, the demo's 500 bikes spread over its zones — then GET /healthz the same
way, and prints requests/s, p50 and p99 for each, the ratio events/healthz, and `lost: N`, the events
answered 200 that are missing from the log. Then the server's memory with 100,000 bikes and 10,000 zones.

Environment: EBIKE_VOICE_BENCH_SECONDS (default 10) per wrk run; the machine is shared, so figures vary.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import make_url, text

from service.db import make_engine
from service.demo.zones import demo_zones
from service.zones.geometry import zone_shape

SECONDS = int(os.environ.get("EBIKE_VOICE_BENCH_SECONDS", "10"))
CONNECTIONS = 32
PG_URL = os.environ.get("EBIKE_VOICE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")

LUA = r"""
local points = {%(points)s}
local bikes = {%(bikes)s}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  counter = 0
  acked = io.open(args[1] .. "/acked-" .. tid .. ".txt", "w")
end
function request()
  counter = counter + 1
  local p = points[(counter * 7 + tid) %% #points + 1]
  local b = bikes[(counter * 13 + tid * 101) %% #bikes + 1]
  local body = string.format(
    '{"event_id":"%(prefix)s-%%d-%%d","bike_id":"%%s","fleet_id":"%%s","event":"%%s","lat":%%.6f,' ..
    '"lon":%%.6f,"occurred_at":"%(at)s"}',
    tid, counter, b[2], b[1], (counter %% 2 == 0) and "lock" or "unlock", p[2], p[1])
  return wrk.format("POST", "/v1/events",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(key)s"}, body)
end
function response(status, headers, body)
  if status == 200 then
    acked:write(string.match(body, '"event_id":"([^"]+)"'), "\n")
  end
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("installing wrk from Debian's packages ...", flush=True)
    subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def _env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {**os.environ, "EBIKE_VOICE_DATA_DIR": str(data_dir), "EBIKE_VOICE_TTS_ENGINES": "espeak"}
    env["EBIKE_VOICE_DATABASE_URL"] = database_url or ""
    # The per-key rate limit is for a real fleet, not for one key driving the whole load.
    env["EBIKE_VOICE_EVENT_RATE_PER_KEY_S"] = env["EBIKE_VOICE_EVENT_BURST_PER_KEY"] = "1000000"
    return env


def load_demo(env: dict[str, str]) -> str:
    """The demo's operator key."""
    out = subprocess.run(
        [sys.executable, "-m", "service", "demo"], env=env, check=True, capture_output=True, text=True
    ).stdout
    match = re.search(r"operator key:\s+(\S+)", out)
    assert match, out
    return match.group(1)


@contextmanager
def server(env: dict[str, str], workers: int = 1):  # type: ignore[no-untyped-def]
    port = _free_port()
    log = open(Path(env["EBIKE_VOICE_DATA_DIR"]) / f"serve-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve", "--port", str(port), "--workers", str(workers)]
        + ["--no-access-log"],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/readyz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: see {log.name}") from None
                time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@contextmanager
def bare_fastapi(env: dict[str, str]):  # type: ignore[no-untyped-def]
    """The baseline (bench/bare_app.py) under uvicorn with the server's HTTP protocol and no access log."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port), "--no-access-log"]
    process = subprocess.Popen(command + ["--http", "httptools"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/docs", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the bare FastAPI baseline did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(base: str, path: str, script: Path | None = None, args: list[str] | None = None) -> dict[str, float]:
    command = [ensure_wrk(), "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", str(script)]
    command.append(base + path)
    if args:
        command += ["--", *args]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def latency(pct: str) -> float:
        value, unit = re.search(rf"{pct}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * units[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate, out
    return {
        "rps": float(rate.group(1)),
        "p50": latency("50"),
        "p99": latency("99"),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _lua(work: Path, key: str, prefix: str) -> Path:
    points = []
    for feature in demo_zones()["features"]:
        point = zone_shape(feature["geometry"], feature["properties"].get("radius_m")).representative_point()
        points.append(f"{{{point.x:.6f},{point.y:.6f}}}")
    bikes = [f'{{"beiting","BE{n:05d}"}}' for n in range(1, 301)]
    bikes += [f'{{"tingzhou","TI{n:05d}"}}' for n in range(1, 201)]
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    script = work / f"events-{prefix}.lua"
    values = {"points": ",".join(points), "bikes": ",".join(bikes), "prefix": prefix, "key": key, "at": at}
    script.write_text(LUA % values)
    return script


def server_side_within(base: str, seconds: float) -> tuple[float, float]:
    """(events answered within `seconds`, events answered) by the server's own clock, from /metrics: wrk's
    latencies include the time its own threads wait for the two cores it shares with the server."""
    counts = {}
    for line in httpx.get(f"{base}/metrics", timeout=10).text.splitlines():
        if line.startswith(_BUCKET) and 'method="POST"' in line and 'route="/v1/events"' in line:
            le = re.search(r'le="([^"]+)"', line)
            if le:
                counts[le.group(1)] = float(line.rsplit(" ", 1)[1])
    return counts.get(repr(seconds), 0.0), counts.get("+Inf", 0.0)


_BUCKET = "ebike_voice_http_request_duration_seconds_bucket{"


def lost_events(database_url: str, acked_dir: Path) -> tuple[int, int]:
    """(acknowledged, acknowledged but missing from the log)."""
    acked = set()
    for path in acked_dir.glob("acked-*.txt"):
        acked.update(line for line in path.read_text().splitlines() if line)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            prefix = next(iter(acked)).split("-")[0] if acked else "none"
            logged = {
                row[0]
                for row in conn.execute(
                    text("SELECT event_id FROM lock_event WHERE event_id LIKE :p"), {"p": prefix + "-%"}
                )
            }
    finally:
        engine.dispose()
    return len(acked), len(acked - logged)


def run(label: str, database_url: str | None, workers: int, work: Path) -> float:
    """Prints the figures of one server; returns its events/s."""
    data_dir = work / f"data-{uuid.uuid4().hex[:6]}"
    env = _env(data_dir, database_url)
    key = load_demo(env)
    url = database_url or f"sqlite:///{data_dir / 'ebike-voice.db'}"
    prefix = "b" + uuid.uuid4().hex[:8]
    acked_dir = work / prefix
    acked_dir.mkdir()
    script = _lua(work, key, prefix)
    with server(env, workers) as (base, process):
        cpu_before = _cpu_seconds(process.pid)
        events = wrk(base, "/v1/events", script, [str(acked_dir)])
        cpu_after = _cpu_seconds(process.pid)
        cpu_events = {name: after - cpu_before.get(name, 0.0) for name, after in cpu_after.items()}
        within, answered = server_side_within(base, 0.025)
        health = wrk(base, "/healthz")
        rss = _rss_mb(process.pid)
    runs = {"POST /v1/events": events, "GET /healthz": health}
    if workers == 1:  # the baseline: the framework alone, one worker
        bare_dir = work / (prefix + "-bare")
        bare_dir.mkdir()
        with bare_fastapi(env) as bare_base:
            runs["bare FastAPI"] = wrk(bare_base, "/v1/events", script, [str(bare_dir)])
    acknowledged, lost = lost_events(url, acked_dir)
    for name, figures in runs.items():
        print(
            f"{label}: {name:16} {figures['rps']:8.0f} req/s  p50 {figures['p50']:6.1f} ms  "
            f"p99 {figures['p99']:6.1f} ms  non-2xx {figures['errors']:.0f}"
        )
    bare = (
        f"events/bare FastAPI {events['rps'] / runs['bare FastAPI']['rps']:.2f} (target >= 1.0), "
        if workers == 1
        else ""
    )
    print(f"{label}: ratio {bare}events/healthz {events['rps'] / health['rps']:.2f}")
    handled = events["rps"] * SECONDS
    print(
        f"{label}: server CPU during the events: "
        + ", ".join(
            f"{name} {seconds / SECONDS:.2f} cores ({seconds / handled * 1e6:.0f} µs an event)"
            for name, seconds in sorted(cpu_events.items())
        )
    )
    if answered:
        whose = "its own request-duration histogram" + (", all workers" if workers > 1 else "")
        print(f"{label}: server side ({whose}): {within / answered:.1%} of {answered:.0f} within 25 ms")
    print(
        f"{label}: acknowledged {acknowledged}, lost: {lost}; server RSS after the load {rss:.0f} MB",
        flush=True,
    )
    return events["rps"]


@contextmanager
def postgres_database():  # type: ignore[no-untyped-def]
    """A throw-away database on the PostgreSQL server, or None when there is none."""
    import psycopg

    admin = make_url(PG_URL).set(drivername="postgresql")
    name = f"ebike_voice_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        yield None
        return
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def memory(work: Path) -> None:
    """The memory of a server with 100,000 bikes and 10,000 zones in the database and in its snapshots,
    after an event and a manifest."""
    from service.migrate import upgrade

    data_dir = work / "memory"
    env = _env(data_dir, None)
    key = load_demo(env)
    url = f"sqlite:///{data_dir / 'ebike-voice.db'}"
    upgrade(url)
    engine = make_engine(url)
    series = "WITH RECURSIVE series(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM series LIMIT 100000) "
    with engine.begin() as conn:
        conn.execute(
            text(
                series + "INSERT INTO zone (id, name, kind, geometry, radius_m, created_at, updated_at) "
                "SELECT 'm-' || value, 'zone ' || value, 'residential', "
                "json_object('type', 'Polygon', 'coordinates', json_array(json_array("
                " json_array(80 + (value % 100) * 0.01, 40 + (value / 100) * 0.01),"
                " json_array(80.005 + (value % 100) * 0.01, 40 + (value / 100) * 0.01),"
                " json_array(80.005 + (value % 100) * 0.01, 40.005 + (value / 100) * 0.01),"
                " json_array(80 + (value % 100) * 0.01, 40.005 + (value / 100) * 0.01),"
                " json_array(80 + (value % 100) * 0.01, 40 + (value / 100) * 0.01)))), NULL, "
                " datetime('now'), datetime('now') FROM series WHERE value <= 10000"
            )
        )
        conn.execute(
            text(series + "INSERT INTO bike (fleet_id, bike_id) SELECT 'beiting', 'M' || value FROM series")
        )
        conn.execute(text("UPDATE snapshot_version SET version = version + 1"))
    engine.dispose()
    for writer in ("process", "thread"):
        with server({**env, "EBIKE_VOICE_EVENT_WRITER": writer}) as (base, process):
            at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            body = {"event_id": f"mem-{writer}", "bike_id": "M1", "fleet_id": "beiting", "event": "unlock",
                    "lat": 40.002, "lon": 80.012, "occurred_at": at}  # fmt: skip
            auth = {"Authorization": f"Bearer {key}"}
            answer = httpx.post(f"{base}/v1/events", json=body, headers=auth)
            assert answer.status_code == 200 and answer.json()["zone_id"] == "m-1", answer.text
            # A lock's prefetch: with the writer process, the worker then holds a snapshot of its own too.
            manifest = httpx.get(
                f"{base}/v1/fleets/beiting/manifest", params={"zone_id": "m-1"}, headers=auth
            )
            assert manifest.status_code == 200, manifest.text
            processes = _memory_mb(process.pid)
        pss = sum(p for _, _, p in processes)
        rss = " + ".join(f"{r:.0f} ({name})" for name, r, _ in processes)
        print(
            f"memory, EBIKE_VOICE_EVENT_WRITER={writer}, 10,000 zones and 100,000 bikes: PSS {pss:.0f} MB"
            f" (target 200 MB); RSS {rss} = {sum(r for _, r, _ in processes):.0f} MB"
        )


def _server_processes(pid: int) -> list[int]:
    """The server's process and all its descendants (uvicorn's workers, their writer processes)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            pending += [int(p) for p in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except OSError:  # it has just ended
            continue
        found.append(current)
    return found


def _role(pid: int) -> str:
    """ "writer" for a writer process (it names itself event-writer), "worker" for uvicorn's processes."""
    return "writer" if Path(f"/proc/{pid}/comm").read_text().strip() == "event-writer" else "worker"


def _cpu_seconds(pid: int) -> dict[str, float]:
    """CPU time (user + system) of the server's processes so far, summed as "worker" (uvicorn's processes)
    and "writer" (the writer processes)."""
    totals: dict[str, float] = {}
    for current in _server_processes(pid):
        name = _role(current)
        fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        totals[name] = totals.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return totals


def _rss_mb(pid: int) -> float:
    """RSS of the server's processes, in MB."""
    return sum(rss for _, rss, _ in _memory_mb(pid))


def _memory_mb(pid: int) -> list[tuple[str, float, float]]:
    """(name, RSS, PSS) of each of the server's processes. RSS counts every page a process maps, the
    libraries' pages the processes share too (one copy in memory, counted in each); PSS splits each shared
    page among the processes that map it, so the processes' PSS adds up to the memory they hold."""
    found = []
    for current in _server_processes(pid):
        rss = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{current}/status").read_text())
        pss = re.search(r"Pss:\s+(\d+)", Path(f"/proc/{current}/smaps_rollup").read_text())
        assert rss and pss
        found.append((_role(current), int(rss[1]) / 1024, int(pss[1]) / 1024))
    return found


def main() -> None:
    ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="ebike-bench-"))
    try:
        print(f"{CONNECTIONS} connections, {SECONDS} s per run, on {os.cpu_count()} shared cores")
        sqlite = run("sqlite 1 worker", None, 1, work)
        sqlite2 = run("sqlite 2 workers", None, 2, work)
        print(f"sqlite: 2 workers / 1 worker {sqlite2 / sqlite:.2f}")
        with postgres_database() as pg:
            if pg is None:
                print("postgresql: no server at EBIKE_VOICE_BENCH_POSTGRES_URL; skipped")
            else:
                pg1 = run("postgresql 1 worker", pg, 1, work)
                pg2 = run("postgresql 2 workers", pg, 2, work)
                print(
                    f"postgresql: 1 worker {pg1:.0f} events/s (target 2,500), {pg1 / sqlite:.2f}x sqlite "
                    f"(target 0.6); 2 workers / 1 worker {pg2 / pg1:.2f} (target 1.3)"
                )
        memory(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
