"""`ebike-voice serve --workers 2`: one scrape of /metrics, whichever worker answers it, counts the requests
of both (prometheus_client's multiprocess mode), so Prometheus never sees a counter go back."""

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import EBIKE_VOICE
from tests.test_serve import _free_port


def _key(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [EBIKE_VOICE, "keys", "create", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()[-1]


@contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [EBIKE_VOICE, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=output,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(f"{base}/readyz", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start in 90 s"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(30)


def _scrape(base: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Each sample of one scrape, by name and labels (one new connection: any worker may answer)."""
    samples: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(httpx.get(f"{base}/metrics", timeout=10).text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def _healthz(samples: dict[str, dict[tuple[tuple[str, str], ...], float]]) -> float:
    key = (("method", "GET"), ("route", "/healthz"), ("status", "200"))
    return samples.get("ebike_voice_http_requests_total", {}).get(key, 0.0)


def test_one_scrape_sums_both_workers_and_counters_never_decrease(
    fresh_env: dict[str, str], tmp_path: Path
) -> None:
    admin = {"Authorization": f"Bearer {_key(fresh_env, '--role', 'admin', '--name', 'admin')}"}
    with _server(fresh_env, tmp_path / "serve.log") as base:
        workers: set[str] = set()  # the random half of the request ids each worker makes up
        sent = 0
        seen: list[float] = []
        while len(workers) < 2 or sent < 40:
            assert sent < 400, f"only one worker answered {sent} requests on new connections"
            answer = httpx.get(f"{base}/healthz", timeout=10)
            assert answer.status_code == 200
            workers.add(answer.headers["x-request-id"][:16])
            sent += 1
            if sent % 4 == 0:
                seen.append(_healthz(_scrape(base)))
                # The last request may still be counting when the answer has reached us, never more.
                assert sent - 1 <= seen[-1] <= sent, (sent, seen)
        assert seen == sorted(seen), seen

        response = httpx.post(
            f"{base}/v1/fleets", json={"id": "beiting", "name": "北庭出行", "operator": "北庭"}, headers=admin
        )
        assert response.status_code == 201, response.text
        plain = _key(fresh_env, "--role", "operator", "--name", "op", "--fleet", "beiting")
        operator = {"Authorization": f"Bearer {plain}"}
        events = 20
        for n in range(events):
            body = {"event_id": f"w-{n}", "bike_id": f"B{n % 5}", "fleet_id": "beiting", "event": "unlock",
                    "lat": 44.0, "lon": 89.18, "occurred_at": "2026-11-29T08:00:00+08:00"}  # fmt: skip
            answer = httpx.post(f"{base}/v1/events", json=body, headers=operator, timeout=30)
            assert answer.status_code == 200, answer.text
        # Decisions and requests are counted by the worker that answered.
        for _ in range(50):  # the last answer's counting may still be under way: a few scrapes at most
            samples = _scrape(base)
            decisions = sum(samples["ebike_voice_decisions_total"].values())
            if decisions == events:
                break
        assert decisions == events
        key = (("method", "POST"), ("route", "/v1/events"), ("status", "200"))
        assert samples["ebike_voice_http_requests_total"][key] == events
        assert _healthz(samples) == sent
        # The gauge: each engine in exactly one state, as the worker scraped last saw it.
        states = samples["ebike_voice_engine_state"]
        assert {labels: value for labels, value in states.items() if value} == {
            (("engine", "espeak"), ("state", "ok")): 1.0
        }
        [metrics_dir] = (Path(fresh_env["EBIKE_VOICE_DATA_DIR"]) / "metrics").iterdir()
        worker_pids = [int(path.stem.rpartition("_")[2]) for path in metrics_dir.glob("counter_*.db")]
        assert len(worker_pids) == 2

        # A worker killed (uvicorn starts another): what it counted still counts, nothing goes back.
        os.kill(worker_pids[0], signal.SIGKILL)
        for _ in range(3):
            answer = httpx.get(f"{base}/healthz", timeout=10)
            assert answer.status_code == 200
            sent += 1
            assert sent - 1 <= _healthz(_scrape(base)) <= sent
        assert _healthz(_scrape(base)) == sent
    assert list((Path(fresh_env["EBIKE_VOICE_DATA_DIR"]) / "metrics").iterdir()) == []  # removed at exit
