"""`ebike-voice normalize`, `synth` and `resynthesize`, run as a user would."""

import os
import subprocess
import sys
from pathlib import Path

from service.audio.pipeline import decode


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EBIKE_VOICE_DATA_DIR": str(tmp_path / "data"), "EBIKE_VOICE_TTS_ENGINES": "espeak"}
    env.pop("EBIKE_VOICE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "service", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_normalize_prints_what_will_be_spoken(tmp_path: Path) -> None:
    result = _run(tmp_path, "normalize", "2024年8月15日起，拨打96110，被骗10400元，占30%！下载APP")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "二零二四年八月十五日起，拨打九六一一零，被骗一万零四百元，占百分之三十！下载A-P-P"
    )


def test_synth_writes_one_clip_for_the_profile(tmp_path: Path) -> None:
    output = tmp_path / "clip.wav"

    result = _run(
        tmp_path, "synth", "网络汇款需谨慎。", "-o", str(output), "--profile", "wav-8k", "--event", "lock"
    )

    assert result.returncode == 0, result.stderr
    assert "wav-8k" in result.stdout and "espeak cmn" in result.stdout
    audio = decode(output.read_bytes(), "wav")
    assert (audio.frame_rate, audio.channels, audio.sample_width) == (8000, 1, 2)
    assert 2_000 < len(audio) < 6_000


def test_synth_refuses_an_engine_without_the_language(tmp_path: Path) -> None:
    result = _run(
        tmp_path, "synth", "ساقلىنىڭ", "-o", str(tmp_path / "x.mp3"), "--language", "ug", "--engine", "edge"
    )

    assert result.returncode != 0
    assert "no TTS engine speaks 'ug'" in result.stderr
    assert not (tmp_path / "x.mp3").exists()


def test_resynthesize_with_nothing_to_remake(tmp_path: Path) -> None:
    result = _run(tmp_path, "resynthesize", "--engine", "espeak")

    assert result.returncode == 0, result.stderr
    assert "remade with espeak: 0 slogans" in result.stdout
