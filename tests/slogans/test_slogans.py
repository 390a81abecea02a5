from fastapi.testclient import TestClient

from service.audio.pipeline import decode
from tests.helpers import approved_slogan

SEED = "宁边路派出所提醒您，网络刷单全是骗，盲目相信钱不见。"


def test_police_post_is_pending_under_their_own_issuer(client: TestClient, police: dict[str, str]) -> None:
    response = client.post("/v1/slogans", json={"text": SEED, "category": "刷单返利"}, headers=police)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    assert body["issuer"] == "宁边路派出所"
    assert body["language"] == "zh-CN"
    assert body["clips"] == []


def test_police_cannot_post_for_another_issuer(client: TestClient, police: dict[str, str]) -> None:
    response = client.post("/v1/slogans", json={"text": SEED, "issuer": "别的派出所"}, headers=police)
    assert response.status_code == 403


def test_admin_must_name_the_issuer(client: TestClient, admin: dict[str, str]) -> None:
    assert client.post("/v1/slogans", json={"text": SEED}, headers=admin).status_code == 422
    created = client.post("/v1/slogans", json={"text": SEED, "issuer": "北庭派出所"}, headers=admin)
    assert created.status_code == 201
    assert created.json()["issuer"] == "北庭派出所"


def test_approval_makes_real_clips_for_both_events_and_formats(
    client: TestClient, police: dict[str, str], admin: dict[str, str]
) -> None:
    slogan = approved_slogan(client, police, admin, SEED)
    assert slogan["status"] == "approved"
    clips = {(c["event"], c["format"]): c for c in slogan["clips"]}
    assert set(clips) == {("unlock", "mp3"), ("unlock", "wav"), ("lock", "mp3"), ("lock", "wav")}
    for (event, fmt), clip in clips.items():
        assert clip["status"] == "ready", clip
        assert clip["engine"] == "espeak" and clip["voice"] == "cmn"
        # 还车 is given to the engines as its homophone 环车 (huán chē), from the shipped lexicon.
        opening = "开锁成功！" if event == "unlock" else "环车成功！"
        assert clip["spoken_text"].startswith(opening)
        audio = client.get(clip["url"])
        assert audio.status_code == 200
        assert audio.headers["content-type"] == ("audio/mpeg" if fmt == "mp3" else "audio/wav")
        segment = decode(audio.content, fmt)
        assert segment.frame_rate == 16_000 and segment.channels == 1
        if fmt == "wav":
            assert segment.sample_width == 2
        # The opening and a 26-character slogan: several seconds of speech, not silence.
        assert 5_000 < len(segment) < 15_000
        assert abs(len(segment) - clip["duration_ms"]) < 150
        assert segment.dBFS > -35
    assert clips[("unlock", "mp3")]["sha256"] != clips[("lock", "mp3")]["sha256"]


def test_bad_text_is_refused_and_nothing_is_written(client: TestClient, police: dict[str, str]) -> None:
    cases = ["", "   ", "网" * 81, "<speak>网络汇款需谨慎</speak>", "网络\u200b汇款", "网络\x07汇款"]
    for text in cases:
        response = client.post("/v1/slogans", json={"text": text}, headers=police)
        assert response.status_code == 422, text
        assert response.json()["detail"]
    assert (
        client.post("/v1/slogans", json={"text": SEED, "language": "fr"}, headers=police).status_code == 422
    )
    assert client.get("/v1/slogans", headers=police).json() == []


def test_rejected_slogan_cannot_be_approved(
    client: TestClient, police: dict[str, str], admin: dict[str, str]
) -> None:
    slogan_id = client.post("/v1/slogans", json={"text": SEED}, headers=police).json()["id"]
    reason = "内容与本地诈骗形势不符"
    assert client.post(f"/v1/slogans/{slogan_id}/reject", headers=admin).status_code == 422  # no reason
    assert (
        client.post(f"/v1/slogans/{slogan_id}/reject", json={"reason": " "}, headers=admin).status_code == 422
    )
    rejected = client.post(f"/v1/slogans/{slogan_id}/reject", json={"reason": reason}, headers=admin)
    assert rejected.json()["status"] == "rejected" and rejected.json()["review_reason"] == reason
    # The author sees why.
    assert client.get(f"/v1/slogans/{slogan_id}", headers=police).json()["review_reason"] == reason
    assert client.post(f"/v1/slogans/{slogan_id}/approve", headers=admin).status_code == 409


def test_police_cannot_approve(client: TestClient, police: dict[str, str]) -> None:
    slogan_id = client.post("/v1/slogans", json={"text": SEED}, headers=police).json()["id"]
    assert client.post(f"/v1/slogans/{slogan_id}/approve", headers=police).status_code == 403


def test_unknown_slogan_is_404(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get("/v1/slogans/999", headers=admin).status_code == 404


def test_uyghur_slogan_is_spoken_by_the_uyghur_voice(
    client: TestClient, police: dict[str, str], admin: dict[str, str]
) -> None:
    slogan = approved_slogan(client, police, admin, "ئالدامچىلىقتىن ساقلىنىڭ", language="ug")
    assert {c["voice"] for c in slogan["clips"]} == {"ug"}
    assert all(c["status"] == "ready" for c in slogan["clips"])


def test_full_width_and_half_width_text_is_accepted(client: TestClient, police: dict[str, str]) -> None:
    for text in (
        "８月１５日起，转账超５０％需核实！",
        "8月15日起,转账超50%需核实!",
        "下载「国家反诈中心」APP。",
    ):
        response = client.post("/v1/slogans", json={"text": text}, headers=police)
        assert response.status_code == 201, text


def test_markup_and_invisible_characters_are_named(client: TestClient, police: dict[str, str]) -> None:
    cases = {
        '<break time="1s"/>网络汇款': "markup",
        "网络&nbsp;汇款": "markup",
        "网络\u202e汇款": "U+202E",
        "网络\ufeff汇款": "U+FEFF",
        "网络\u0000汇款": "U+0000",
    }
    for text, reason in cases.items():
        response = client.post("/v1/slogans", json={"text": text}, headers=police)
        assert response.status_code == 422, text
        assert reason in str(response.json()["detail"]), text
