"""Speech, offline (eSpeak NG): text to every rendition ready, a synthesis-cache hit, 500 slogans imported in
bulk, and the loudness spread across the starter library. Each figure comes with a baseline from this run:
the bare engine call, the cache miss, the single-slogan time, the engine's own loudness spread."""

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlmodel import Session, select

from service.audio.loudness import integrated_loudness
from service.audio.pipeline import decode
from service.auth.models import ApiKey, Role
from service.clips.models import Clip, ClipStatus
from service.clips.storage import clip_path
from service.clips.synthesis import build_synthesizer
from service.config import Settings
from service.db import make_engine
from service.demo.service import SLOGANS_DIR, load_starter_slogans
from service.migrate import upgrade
from service.slogans.models import SloganCreate
from service.slogans.service import create_slogan, review_slogan
from service.tts.espeak import EspeakEngine
from service.tts.normalize import normalize_text

SINGLE = 20
BULK = 500
CACHE_ROUNDS = 200
POLICE = ApiKey(name="bench", role=Role.police, issuer="宁边路派出所", key_hash="")


def _texts(count: int, offset: int) -> list[str]:
    """Distinct slogans (no cache hits between them) of realistic length: starter lines, numbered."""
    _, starters = load_starter_slogans(SLOGANS_DIR / "starter.yaml")
    chinese = [s.text for s in starters if s.language == "zh-CN"]
    return [f"{chinese[n % len(chinese)]}第{n + offset}号提醒。" for n in range(count)]


def _approve(db, texts: list[str]) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with Session(db) as session:
        for text in texts:
            slogan = create_slogan(session=session, slogan_in=SloganCreate(text=text), author=POLICE)
            review_slogan(session=session, slogan=slogan, approve=True)
            assert slogan.id is not None
            ids.append(slogan.id)
    return ids


def _loudness(path: Path, fmt: str) -> float:
    audio = decode(path.read_bytes(), fmt)
    return integrated_loudness(np.frombuffer(audio.raw_data, dtype="<i2") / 32768.0, audio.frame_rate)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-speech-") as tmp:
        settings = Settings(data_dir=Path(tmp), tts_engines=["espeak"])
        settings.clips_dir.mkdir(parents=True)
        upgrade(settings.effective_database_url)
        db = make_engine(settings.effective_database_url)
        synthesizer = build_synthesizer(settings, db)
        try:
            _run(settings, db, synthesizer)
        finally:
            synthesizer.shutdown()
            db.dispose()


def _run(settings: Settings, db, synthesizer) -> None:  # type: ignore[no-untyped-def]
    engine = EspeakEngine()
    texts = _texts(SINGLE, 0)
    synthesizer.make_one(text="预热。", language="zh-CN", event=None, profile="mp3-16k", lexicon={})
    for event_text in ("开锁成功！", "还车成功！"):  # the openings, made once per process and then cached
        synthesizer.maker.speak(event_text, "zh-CN")

    bare = []
    for text in texts:
        started = time.perf_counter()
        engine.synthesize(normalize_text(text, "zh-CN"), "zh-CN")
        bare.append(time.perf_counter() - started)
    made = []
    for slogan_id in _approve(db, texts):
        started = time.perf_counter()
        assert synthesizer.synthesize_slogan(slogan_id)
        made.append(time.perf_counter() - started)
    per_slogan, engine_only = statistics.median(made) * 1000, statistics.median(bare) * 1000
    print(
        f"text -> all renditions ready (2 events x mp3-16k, wav-16k; {SINGLE} slogans): median "
        f"{per_slogan:.0f} ms per slogan (target <= 150 ms); the bare espeak call {engine_only:.0f} ms "
        f"({per_slogan / engine_only:.1f}x)"
    )

    kwargs = {"text": texts[0], "language": "zh-CN", "event": "unlock", "profile": "wav-8k", "lexicon": {}}
    started = time.perf_counter()
    synthesizer.make_one(**kwargs)
    miss = (time.perf_counter() - started) * 1000
    hits = []
    for _ in range(CACHE_ROUNDS):
        started = time.perf_counter()
        synthesizer.make_one(**kwargs)
        hits.append(time.perf_counter() - started)
    hit = statistics.median(hits) * 1000
    print(
        f"synthesis cache hit (normalize, look up speech and rendition): median {hit:.2f} ms "
        f"(target <= 5 ms); the miss before it {miss:.0f} ms ({miss / hit:.0f}x)"
    )

    ids = _approve(db, _texts(BULK, SINGLE))
    started = time.perf_counter()
    for slogan_id in ids:
        synthesizer.submit(slogan_id)
    synthesizer.resume_pending().result()
    bulk = time.perf_counter() - started
    with Session(db) as session:
        clips = list(session.exec(select(Clip).where(Clip.slogan_id.in_(ids))))  # type: ignore[attr-defined]
    ready = sum(c.status is ClipStatus.ready for c in clips)
    print(
        f"{BULK} slogans imported in bulk: all {ready}/{len(clips)} clips ready in {bulk:.1f} s "
        f"(target <= 120 s); {bulk / BULK * 1000:.0f} ms per slogan vs {per_slogan:.0f} ms one at a time "
        f"({bulk / BULK * 1000 / per_slogan:.2f}x)"
    )

    _, starters = load_starter_slogans(SLOGANS_DIR / "starter.yaml")
    with Session(db) as session:
        starter_ids = []
        for slogan_in in starters:
            slogan = create_slogan(session=session, slogan_in=slogan_in, author=POLICE)
            review_slogan(session=session, slogan=slogan, approve=True)
            starter_ids.append(slogan.id)
    for slogan_id in starter_ids:
        synthesizer.synthesize_slogan(slogan_id)
    with Session(db) as session:
        clips = list(session.exec(select(Clip).where(Clip.slogan_id.in_(starter_ids))))  # type: ignore[attr-defined]
    levels = [
        _loudness(clip_path(settings.clips_dir, c.sha256, c.format.value), c.format.value)
        for c in clips
        if c.sha256
    ]
    raw = []
    for slogan_in in starters:
        segment = engine.synthesize(
            normalize_text(slogan_in.text, slogan_in.language), slogan_in.language
        ).segment
        raw.append(
            integrated_loudness(np.frombuffer(segment.raw_data, dtype="<i2") / 32768.0, segment.frame_rate)
        )
    spread, raw_spread = max(levels) - min(levels), max(raw) - min(raw)
    print(
        f"loudness across the starter library ({len(starters)} slogans, {len(levels)} clips): "
        f"{min(levels):.2f} to {max(levels):.2f} LUFS, spread {spread:.2f} LU (target within +-1 LU); "
        f"espeak's own output spread {raw_spread:.2f} LU ({raw_spread / max(spread, 0.01):.0f}x wider)"
    )
