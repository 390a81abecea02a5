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
        _pipelined_requests_answered_in_order(port)
        if "postgresql" not in database_url:
            assert (tmp_path / "data" / "ebike-voice.db").is_file()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_stops_when_the_schema_cannot_be_upgraded(tmp_path: Path) -> None:
    """The upgrade runs in a process of its own before serving (service/cli.py): when it fails, serve
    stops with its error instead of serving an old schema."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    env = {
        **os.environ,
        "EBIKE_VOICE_DATA_DIR": str(tmp_path / "data"),
        "EBIKE_VOICE_DATABASE_URL": f"sqlite:///{blocker / 'ebike-voice.db'}",
        "EBIKE_VOICE_TTS_ENGINES": "espeak",
    }
    done = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "unable to open database file" in done.stderr
    assert "Uvicorn running" not in done.stderr


def _pipelined_requests_answered_in_order(port: int) -> None:
    """Requests sent back to back on one connection, the last asking to close it: each answered whole, in
    order (the server sends each answer in one write: service/serving.py), and the connection closed."""
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request * 3 + b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    answers = received.split(b"HTTP/1.1 ")[1:]
    assert len(answers) == 4, received
    assert all(answer.startswith(b"200 OK") for answer in answers)
    assert [answer.split(b"\r\n\r\n", 1)[1] for answer in answers[:3]] == [b'{"status":"ok"}'] * 3
    assert b'"engines"' in answers[3] and b"connection: close" in answers[3].lower()
