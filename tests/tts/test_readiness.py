from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from service.tts.base import TTSError


def test_readyz_shows_the_edge_circuit(tmp_path: Path, database_url: str, edge_server) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        tts_engines=["edge", "espeak"],
        edge_wss_url=edge_server.url,
        edge_breaker_failures=1,
        edge_breaker_cooldown_s=60,
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").json() == {"status": "ok", "engines": {"edge": "closed", "espeak": "ok"}}
        edge_server.mode = "bad_audio"
        [edge, _] = client.app.state.tts_engines  # type: ignore[attr-defined]
        with pytest.raises(TTSError):
            edge.synthesize("网络汇款需谨慎。", "zh-CN")
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "engines": {"edge": "open", "espeak": "ok"}}
