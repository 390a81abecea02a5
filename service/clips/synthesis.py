"""Turns approved slogans into clips, ahead of time and off the request path."""

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pydub import AudioSegment
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from service.audio.pipeline import AudioError, render, trim_silence
from service.clips.models import Clip, ClipFormat, ClipStatus, LockEvent
from service.clips.storage import store_clip
from service.events.snapshot import bump_version
from service.slogans.models import Slogan, SloganStatus
from service.timeutil import utcnow
from service.tts.base import SpeechAudio, TTSEngine, TTSError
from service.tts.chain import synthesize_first
from service.tts.normalize import normalize_text

log = logging.getLogger(__name__)

OPENING_LANGUAGE = "zh-CN"
GAP_MS = 200


def ensure_clip_rows(*, session: Session, slogan_id: int) -> None:
    """One pending row per (event, format) that has none yet; the caller commits."""
    have = {(c.event, c.format) for c in session.exec(select(Clip).where(Clip.slogan_id == slogan_id))}
    for event in LockEvent:
        for fmt in ClipFormat:
            if (event, fmt) not in have:
                session.add(Clip(slogan_id=slogan_id, event=event, format=fmt))


class Synthesizer:
    """Makes every clip of a slogan: the event's opening (「开锁成功！」 or 「还车成功！」, in Chinese)
    and the slogan in its own language, each normalized and spoken by the first engine that can, joined,
    rendered in every format and stored content-addressed."""

    def __init__(
        self,
        *,
        db: Engine,
        engines: Sequence[TTSEngine],
        clips_dir: Path,
        openings: dict[LockEvent, str],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._engines = engines
        self._clips_dir = clips_dir
        self._openings = openings
        self._on_change = on_change
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthesis")
        self._opening_cache: dict[tuple[LockEvent, str], SpeechAudio] = {}
        self._opening_lock = threading.Lock()

    def submit(self, slogan_id: int) -> Future[None]:
        return self._executor.submit(self._run, slogan_id)

    def resume_pending(self) -> Future[None]:
        """After a restart: finish, in the background, what an earlier process left pending."""
        return self._executor.submit(self._resume)

    def _resume(self) -> None:
        try:
            with Session(self._db) as session:
                query = (
                    select(Clip.slogan_id)
                    .join(Slogan, Slogan.id == Clip.slogan_id)  # type: ignore[arg-type]
                    .where(Clip.status == ClipStatus.pending, Slogan.status == SloganStatus.approved)
                    .distinct()
                )
                slogan_ids = list(session.exec(query))
        except SQLAlchemyError:
            log.exception("could not look for pending clips; they are made on the next approval or restart")
            return
        for slogan_id in slogan_ids:
            self._run(slogan_id)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self, slogan_id: int) -> None:
        try:
            self.synthesize_slogan(slogan_id)
        except Exception:
            log.exception("synthesis of slogan %s failed unexpectedly", slogan_id)

    def _opening(self, event: LockEvent) -> SpeechAudio:
        text = normalize_text(self._openings[event], OPENING_LANGUAGE)
        with self._opening_lock:
            cached = self._opening_cache.get((event, text))
        if cached is None:
            cached = synthesize_first(self._engines, text, OPENING_LANGUAGE)
            with self._opening_lock:
                self._opening_cache[(event, text)] = cached
        return cached

    def synthesize_slogan(self, slogan_id: int) -> None:
        with Session(self._db) as session:
            slogan = session.get(Slogan, slogan_id)
            if slogan is None or slogan.status is not SloganStatus.approved:
                return
            ensure_clip_rows(session=session, slogan_id=slogan_id)
            session.flush()
            clips = {
                (c.event, c.format): c for c in session.exec(select(Clip).where(Clip.slogan_id == slogan_id))
            }
            spoken = normalize_text(slogan.text, slogan.language)
            try:
                body = synthesize_first(self._engines, spoken, slogan.language)
            except TTSError as exc:
                self._fail(clips.values(), f"speech synthesis failed: {exc}")
            else:
                for event in LockEvent:
                    self._make_event_clips(event, body, spoken, clips)
            bump_version(session)
            session.commit()
        self._on_change()

    def _make_event_clips(
        self,
        event: LockEvent,
        body: SpeechAudio,
        spoken: str,
        clips: dict[tuple[LockEvent, ClipFormat], Clip],
    ) -> None:
        targets = [clips[(event, fmt)] for fmt in ClipFormat]
        try:
            opening = self._opening(event)
            gap = AudioSegment.silent(GAP_MS, frame_rate=body.segment.frame_rate)
            joined = trim_silence(opening.segment) + gap + trim_silence(body.segment)
            rendered = render(joined, tuple(fmt.value for fmt in ClipFormat))
            for clip in targets:
                audio = rendered[clip.format.value]
                store_clip(self._clips_dir, audio.sha256, clip.format.value, audio.data)
                clip.status = ClipStatus.ready
                clip.sha256 = audio.sha256
                clip.size_bytes = len(audio.data)
                clip.duration_ms = audio.duration_ms
                clip.engine = body.engine
                clip.voice = body.voice
                clip.spoken_text = normalize_text(self._openings[event], OPENING_LANGUAGE) + spoken
                clip.error = None
                clip.updated_at = utcnow()
        except (TTSError, AudioError, OSError) as exc:
            self._fail(targets, f"clip could not be made: {exc}")

    @staticmethod
    def _fail(clips: Iterable[Clip], reason: str) -> None:
        log.warning(reason)
        for clip in clips:
            if clip.status is not ClipStatus.ready:
                clip.status = ClipStatus.failed
                clip.error = reason
                clip.updated_at = utcnow()
