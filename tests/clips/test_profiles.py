from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from service.audio.loudness import integrated_loudness
from service.audio.pipeline import LOUDNESS_LUFS, decode
from service.demo.service import load_starter_slogans
from tests.helpers import approved_slogan, operator_key, wait_for_clips

SEED = "宁边路派出所提醒您，网络刷单全是骗，盲目相信钱不见。"
STARTER = Path(__file__).resolve().parents[2] / "slogans" / "starter.yaml"


def test_profiles_are_listed(client: TestClient) -> None:
    profiles = {p["name"]: p for p in client.get("/v1/profiles").json()}

    assert set(profiles) == {"mp3-16k", "wav-16k", "wav-8k"}
    assert profiles["wav-8k"]["sample_rate"] == 8000 and profiles["wav-8k"]["format"] == "wav"
    assert profiles["mp3-16k"]["bitrate"] == "32k"
    assert all(p["max_duration_ms"] >= 20_000 for p in profiles.values())


def test_fleet_profile_must_be_known(client: TestClient, admin: dict[str, str]) -> None:
    fleet = {"id": "x", "name": "x", "operator": "x", "profile": "ogg-48k"}
    response = client.post("/v1/fleets", json=fleet, headers=admin)

    assert response.status_code == 422
    assert client.get("/v1/fleets", headers=admin).json() == []


def test_a_fleet_on_8k_chips_gets_8k_clips_and_others_keep_mp3(
    client: TestClient, admin: dict[str, str], police: dict[str, str], fleet: str
) -> None:
    slogan = approved_slogan(client, police, admin, SEED)
    assert {c["profile"] for c in slogan["clips"]} == {"mp3-16k", "wav-16k"}
    chips = {"id": "chips", "name": "小芯片单车", "operator": "北庭出行公司", "profile": "wav-8k"}
    created = client.post("/v1/fleets", json=chips, headers=admin)
    assert created.status_code == 201 and created.json()["profile"] == "wav-8k"
    assert (
        client.post(
            "/v1/campaigns", json={"name": "全县", "slogan_ids": [slogan["id"]]}, headers=admin
        ).status_code
        == 201
    )

    # The new profile's renditions of the approved slogan are made in the background.
    remade = wait_for_clips(client, slogan["id"], admin)
    clips = {(c["event"], c["profile"]): c for c in remade["clips"]}
    assert clips[("unlock", "wav-8k")]["status"] == "ready"
    assert clips[("unlock", "wav-8k")]["format"] == "wav"

    operator = operator_key(client, [fleet, "chips"])
    answers = {}
    for fleet_id in (fleet, "chips"):
        event = {
            "event_id": f"e-{fleet_id}",
            "bike_id": "B1",
            "fleet_id": fleet_id,
            "event": "unlock",
            "lat": 44.0,
            "lon": 89.18,
            "occurred_at": "2026-11-29T08:00:00+08:00",
        }
        response = client.post("/v1/events", json=event, headers=operator)
        assert response.status_code == 200, response.text
        answers[fleet_id] = response.json()["clip"]
    assert (answers[fleet]["profile"], answers[fleet]["format"]) == ("mp3-16k", "mp3")
    assert (answers["chips"]["profile"], answers["chips"]["format"]) == ("wav-8k", "wav")
    audio = decode(client.get(answers["chips"]["url"]).content, "wav")
    assert (audio.frame_rate, audio.channels, audio.sample_width) == (8000, 1, 2)


def test_the_starter_library_is_at_one_loudness_without_clipping(
    client: TestClient, admin: dict[str, str], police: dict[str, str]
) -> None:
    _, starters = load_starter_slogans(STARTER)
    levels = []
    for slogan_in in starters:
        slogan = approved_slogan(client, police, admin, slogan_in.text, language=slogan_in.language)
        for clip in slogan["clips"]:
            assert clip["status"] == "ready", clip
            audio = decode(client.get(clip["url"]).content, clip["format"])
            samples = np.frombuffer(audio.raw_data, dtype="<i2") / 32768.0
            levels.append(integrated_loudness(samples, audio.frame_rate))
            # Limited to -2 dBFS; MP3 decoding overshoots a little, but nothing comes near full scale.
            assert audio.max_dBFS < -0.5
    assert len(levels) == 4 * len(starters)
    assert max(levels) - min(levels) <= 1.0
    assert all(abs(level - LOUDNESS_LUFS) <= 0.5 for level in levels), levels
