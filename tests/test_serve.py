"""`ebike-voice serve` as a user runs it: a real uvicorn process on a real port."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_creates_the_database_and_answers(tmp_path: Path, database_url: str) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "EBIKE_VOICE_DATA_DIR": str(tmp_path / "data"),
        "EBIKE_VOICE_DATABASE_URL": database_url if "postgresql" in database_url else "",
        "EBIKE_VOICE_TTS_ENGINES": "espeak",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "service", "serve", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=output,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "server did not start in 30 s"
                time.sleep(0.1)
        assert response.json() == {"status": "ok", "engines": {"espeak": "ok"}}
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json() == {"status": "ok"}
        if "postgresql" not in database_url:
            assert (tmp_path / "data" / "ebike-voice.db").is_file()
    finally:
        process.terminate()
        process.wait(timeout=10)
