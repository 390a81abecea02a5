from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session

from service.db import make_engine
from service.lexicon.service import load_lexicon
from service.migrate import upgrade
from service.tts.normalize import DEFAULT_LEXICON
from tests.helpers import approved_slogan


def test_a_new_database_starts_with_the_default_lexicon(tmp_path: Path) -> None:
    # A fresh database of its own: the suite's PostgreSQL run empties every table between tests.
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        assert load_lexicon(session=session) == DEFAULT_LEXICON
    engine.dispose()


def test_police_read_the_lexicon(client: TestClient, admin: dict[str, str], police: dict[str, str]) -> None:
    entries = [{"word": "app", "spoken": "APP"}]
    assert client.put("/v1/lexicon", json={"entries": entries}, headers=admin).status_code == 200

    assert client.get("/v1/lexicon", headers=police).json() == {"entries": entries}


def test_admin_edits_apply_to_new_syntheses(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    entries = [{"word": "WiFi", "spoken": "无线网"}, {"word": "app", "spoken": "软件"}]
    response = client.put("/v1/lexicon", json={"entries": entries}, headers=admin)

    assert response.status_code == 200
    assert response.json()["entries"] == [
        {"word": "app", "spoken": "软件"},
        {"word": "wifi", "spoken": "无线网"},
    ]
    slogan = approved_slogan(client, police, admin, "陌生WIFI别连，陌生app别装。")
    assert {c["spoken_text"] for c in slogan["clips"]} >= {"开锁成功！陌生无线网别连，陌生软件别装。"}


def test_bad_lexicon_is_refused_and_nothing_changes(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    before = client.get("/v1/lexicon", headers=admin).json()
    for entries in (
        [{"word": "Wi-Fi", "spoken": "无线网"}],
        [{"word": "app", "spoken": "<b>APP</b>"}],
        [{"word": "app", "spoken": "软件"}, {"word": "APP", "spoken": "应用"}],
        [{"word": "app", "spoken": ""}],
        [{"word": "还车1", "spoken": "环车"}],
        [{"word": "还 车", "spoken": "环车"}],
    ):
        response = client.put("/v1/lexicon", json={"entries": entries}, headers=admin)
        assert response.status_code == 422, entries
        assert response.json()["detail"]
    assert client.put("/v1/lexicon", json={"entries": []}, headers=police).status_code == 403
    assert client.get("/v1/lexicon", headers=admin).json() == before


def test_polyphones_ship_with_the_project_and_admins_can_change_them(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    shipped = client.get("/v1/lexicon", headers=admin).json()["entries"]
    assert {"word": "还车", "spoken": "环车"} in shipped
    slogan = approved_slogan(client, police, admin, "按时还款，远离网贷。")
    assert {c["spoken_text"] for c in slogan["clips"]} == {
        "开锁成功！按时环款，远离网贷。",
        "环车成功！按时环款，远离网贷。",
    }

    # An admin drops 还款 and makes 还贷 read as written.
    entries = [e for e in shipped if e["word"] not in ("还款", "还贷")] + [{"word": "还贷", "spoken": "还贷"}]
    assert client.put("/v1/lexicon", json={"entries": entries}, headers=admin).status_code == 200
    slogan = approved_slogan(client, police, admin, "还款还贷，认准银行。")
    assert "开锁成功！还款还贷，认准银行。" in {c["spoken_text"] for c in slogan["clips"]}
