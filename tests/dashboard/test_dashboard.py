"""The dashboard in a real headless Chromium, on demo data, against a real uvicorn server."""

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from service.clips.synthesis import build_synthesizer
from service.config import Settings
from service.demo.service import DemoKeys, load_demo
from service.main import create_app
from service.zones.kinds import KIND_NAMES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOT = Path(__file__).resolve().parents[2] / "data" / "dashboard.png"


@pytest.fixture
def live(settings: Settings) -> Iterator[tuple[str, DemoKeys]]:
    app = create_app(settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    synthesizer = build_synthesizer(settings, app.state.engine)
    try:
        keys = load_demo(db=app.state.engine, synthesizer=synthesizer, ride_days=2)
    finally:
        synthesizer.shutdown()
    yield base, keys
    server.should_exit = True
    thread.join(timeout=10)


class _Page(HTMLParser):
    """Collects the attributes and text of the elements the test reads."""

    def __init__(self) -> None:
        super().__init__()
        self.zones: dict[str, int] = {}
        self.silent: list[str] = []
        self.text_by_id: dict[str, str] = {}
        self.body: dict[str, str | None] = {}
        self.bars: dict[str, list[int]] = {}  # chart id -> its bars' plays
        self.slogan_plays: dict[int, int] = {}
        self._capture: str | None = None
        self._chart: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "g" and a.get("class", "") and "zone" in (a.get("class") or "").split():
            self.zones[a["data-zone-id"] or ""] = int(a["data-plays"] or 0)
        if tag == "svg" and a.get("id") in ("daily", "hourly"):
            self._chart = a["id"]
            self.bars[self._chart or ""] = []
        if tag == "rect" and self._chart and "bar" in (a.get("class") or ""):
            self.bars[self._chart].append(int(a["data-plays"] or 0))
        if tag == "tr" and a.get("data-slogan-id"):
            self.slogan_plays[int(a["data-slogan-id"] or 0)] = int(a["data-plays"] or 0)
        if tag == "li" and a.get("data-zone-id"):
            self.silent.append(a["data-zone-id"] or "")
        if a.get("id") in ("zones-total", "zones-covered", "coverage-ratio", "plays-total", "status"):
            self._capture = a["id"]

    def handle_data(self, data: str) -> None:
        if self._capture:
            self.text_by_id[self._capture] = self.text_by_id.get(self._capture, "") + data

    def handle_endtag(self, tag: str) -> None:
        self._capture = None
        if tag == "svg":
            self._chart = None


def _chromium(url: str, tmp_path: Path, *extra: str) -> str:
    assert CHROMIUM, "Chromium is needed for the dashboard test: make test installs Debian's chromium"
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium'}", "--virtual-time-budget=20000", "--window-size=1400,2200",
        *extra, url,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_dashboard_draws_every_zone_with_the_api_figures(live: tuple[str, DemoKeys], tmp_path: Path) -> None:
    base, keys = live
    url = f"{base}/dashboard#key={keys.admin}"
    page = _Page()
    page.feed(_chromium(url, tmp_path, "--dump-dom"))
    assert page.body.get("data-ready") == "true", page.text_by_id.get("status")

    headers = {"Authorization": f"Bearer {keys.admin}"}
    zones = httpx.get(f"{base}/v1/zones", headers=headers).json()
    assert set(page.zones) == {z["id"] for z in zones} and len(page.zones) == 65

    # The page asks for local calendar days; ask the API the same question to compare figures.
    status = page.text_by_id["status"]
    assert status.startswith("数据已更新")
    since_until = _period_of_last_7_days()
    coverage = httpx.get(f"{base}/v1/stats/coverage", params=since_until, headers=headers).json()
    assert page.zones == {z["zone_id"]: z["plays"] for z in coverage["zones"]}
    assert page.text_by_id["plays-total"] == str(sum(z["plays"] for z in coverage["zones"]))
    assert page.text_by_id["zones-covered"] == str(coverage["zones_covered"])
    assert page.text_by_id["zones-total"] == "65"
    assert sorted(page.silent) == sorted(coverage["silent_zone_ids"]) and len(page.silent) >= 6

    daily = httpx.get(f"{base}/v1/stats/timeseries", params={**since_until, "bucket": "day"}, headers=headers)
    assert page.bars["daily"] == [p["plays"] for p in daily.json()["points"]]
    assert (
        sum(page.bars["hourly"]) == sum(z["plays"] for z in coverage["zones"])
        and len(page.bars["hourly"]) == 24
    )
    reach = httpx.get(f"{base}/v1/stats/slogans", params=since_until, headers=headers).json()
    assert page.slogan_plays == {s["slogan_id"]: s["plays"] for s in reach["slogans"]}
    assert sum(page.slogan_plays.values()) == sum(z["plays"] for z in coverage["zones"]) > 0

    SCREENSHOT.parent.mkdir(exist_ok=True)
    _chromium(url, tmp_path, f"--screenshot={SCREENSHOT}")
    assert SCREENSHOT.stat().st_size > 10_000


def test_dashboard_asks_for_a_key_and_refuses_a_bad_one(live: tuple[str, DemoKeys], tmp_path: Path) -> None:
    base, _ = live
    html = _chromium(f"{base}/dashboard#key=ebv_wrong", tmp_path, "--dump-dom")
    assert "密钥无效或已停用" in html
    assert re.search(r'<main id="board"[^>]*hidden', html)


def _period_of_last_7_days() -> dict[str, str]:
    from datetime import datetime, timedelta

    today = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "since": (today - timedelta(days=6)).isoformat(),
        "until": (today + timedelta(days=1)).isoformat(),
    }


def test_dashboard_turns_away_an_operator_key(live: tuple[str, DemoKeys], tmp_path: Path) -> None:
    base, keys = live
    page = _Page()
    page.feed(_chromium(f"{base}/dashboard#key={keys.operator}", tmp_path, "--dump-dom"))
    assert page.body.get("data-ready") == "forbidden"
    assert "请使用管理员或派出所的密钥" in page.text_by_id["status"]


def test_the_dashboard_names_zone_kinds_from_the_one_table(client: TestClient) -> None:
    html = client.get("/dashboard").text
    embedded = re.search(r'<script type="application/json" id="kind-names">(.*?)</script>', html)
    assert embedded and json.loads(embedded[1]) == KIND_NAMES
    script = client.get("/dashboard/static/app.js").text
    assert not [name for name in KIND_NAMES.values() if name in script]  # no copy of the table in the script
