import socket

import pytest

from tests.tts.edge_server import EdgeServer


@pytest.fixture
def edge_server():
    with EdgeServer() as server:
        yield server


@pytest.fixture
def dead_url() -> str:
    """An edge-tts URL on a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"ws://127.0.0.1:{port}/edge/v1?TrustedClientToken=test"
