"""Turns approved slogans into clips, ahead of time and off the request path."""

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from service.audio.profiles import ALWAYS_RENDERED, PROFILES
from service.clips.maker import OPENING_LANGUAGE, ClipMaker, Rendition, Speech
from service.clips.models import Clip, ClipFormat, ClipStatus, LockEvent
from service.config import Settings
from service.fleets.models import Fleet
from service.lexicon.service import load_lexicon
from service.slogans.models import Slogan, SloganStatus
from service.snapshot_version import bump_version
from service.timeutil import utcnow
from service.tts.base import TTSEngine, TTSError
from service.tts.chain import build_engines
from service.tts.normalize import normalize_text

log = logging.getLogger(__name__)


def profiles_in_use(session: Session) -> list[str]:
    used = set(ALWAYS_RENDERED) | set(session.exec(select(Fleet.profile).distinct()))
    return [name for name in PROFILES if name in used]


def ensure_clip_rows(*, session: Session, slogan_id: int) -> None:
    """One pending row per (event, profile in use) that has none yet; the caller commits."""
    have = {(c.event, c.profile) for c in session.exec(select(Clip).where(Clip.slogan_id == slogan_id))}
    for event in LockEvent:
        for profile in profiles_in_use(session):
            if (event, profile) not in have:
                fmt = ClipFormat(PROFILES[profile].format)
                session.add(Clip(slogan_id=slogan_id, event=event, profile=profile, format=fmt))


def ensure_profile_clips(*, session: Session) -> None:
    """After a fleet picks a profile: pending rows for every approved slogan lacking it; the caller commits
    and asks the synthesizer to `resume_pending`."""
    for slogan_id in session.exec(select(Slogan.id).where(Slogan.status == SloganStatus.approved)):
        assert slogan_id is not None
        ensure_clip_rows(session=session, slogan_id=slogan_id)


@dataclass(frozen=True)
class _Target:
    clip_id: int
    event: LockEvent
    profile: str


def _not_ready(clip: Clip) -> bool:
    return clip.status is not ClipStatus.ready


class Synthesizer:
    """Makes the clips of a slogan: the event's opening (「开锁成功！」 or 「还车成功！」, in Chinese) and the
    slogan in its own language, each normalized (with the admins' lexicon) and spoken, joined, rendered for
    every profile in use and checked by the quality gate. The database is written only briefly before and
    after, never while an engine speaks."""

    def __init__(
        self,
        *,
        db: Engine,
        maker: ClipMaker,
        openings: dict[LockEvent, str],
    ) -> None:
        self._db = db
        self.maker = maker
        self._openings = openings
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthesis")
        # The unlock and lock clips are rendered side by side: most of the time goes to ffmpeg processes
        # and numpy, which run in parallel on the two cores.
        self._events = ThreadPoolExecutor(max_workers=len(LockEvent), thread_name_prefix="render")

    def submit(self, slogan_id: int) -> Future[None]:
        return self._executor.submit(self._run, slogan_id)

    def resume_pending(self) -> Future[None]:
        """Finish in the background what is pending: left by an earlier process, or a new profile's."""
        return self._executor.submit(self._resume)

    def _resume(self) -> None:
        try:
            with Session(self._db) as session:
                query = (
                    select(Clip.slogan_id)
                    .join(Slogan, col(Slogan.id) == Clip.slogan_id)
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
        self._events.shutdown(wait=True)

    def _run(self, slogan_id: int) -> None:
        try:
            self.synthesize_slogan(slogan_id)
        except Exception:
            log.exception("synthesis of slogan %s failed unexpectedly", slogan_id)

    def synthesize_slogan(
        self,
        slogan_id: int,
        *,
        engines: Sequence[TTSEngine] | None = None,
        redo: Callable[[Clip], bool] = _not_ready,
    ) -> bool:
        """Make the slogan's clips that `redo` selects (by default those not ready). A clip that is ready
        keeps serving unless and until its new rendition passes the gate. Returns whether all were made."""
        with Session(self._db) as session:
            slogan = session.get(Slogan, slogan_id)
            if slogan is None or slogan.status is not SloganStatus.approved:
                return False
            ensure_clip_rows(session=session, slogan_id=slogan_id)
            session.commit()
            clips = session.exec(select(Clip).where(Clip.slogan_id == slogan_id))
            targets = [_Target(c.id, c.event, c.profile) for c in clips if c.id is not None and redo(c)]
            lexicon = load_lexicon(session=session)
            text, language = slogan.text, slogan.language
        if not targets:
            return True
        results = self._make(targets, text, language, lexicon, engines)
        with Session(self._db) as session:
            for target in targets:
                clip = session.get(Clip, target.clip_id)
                if clip is not None:
                    _apply(clip, results[target.clip_id])
                    session.add(clip)
            bump_version(session)
            session.commit()
        return all(isinstance(r, Rendition) for r in results.values())

    def resynthesize(self, engine: TTSEngine) -> tuple[int, int]:
        """Remake with `engine` the clips another engine made (a fallback, while `engine` was down). Each old
        clip keeps serving until its new rendition is ready. Returns (slogans remade, slogans kept)."""
        with Session(self._db) as session:
            query = (
                select(Slogan.id, Slogan.language)
                .join(Clip, col(Clip.slogan_id) == Slogan.id)
                .where(
                    Slogan.status == SloganStatus.approved,
                    Clip.status == ClipStatus.ready,
                    Clip.engine != engine.name,
                )
                .distinct()
            )
            slogans = list(session.exec(query))
        remade = kept = 0
        for slogan_id, language in slogans:
            if slogan_id is None or engine.voice_for(language) is None:
                continue
            if self.synthesize_slogan(slogan_id, engines=[engine], redo=lambda c: c.engine != engine.name):
                remade += 1
            else:
                kept += 1
        return remade, kept

    def make_one(
        self,
        *,
        text: str,
        language: str,
        event: LockEvent | None,
        profile: str,
        lexicon: dict[str, str],
        engines: Sequence[TTSEngine] | None = None,
    ) -> Rendition | str:
        """One clip for text not (yet) saved: previews and `ebike-voice synth`. Raises TTSError."""
        spoken = normalize_text(text, language, lexicon)
        body = self.maker.speak(spoken, language, engines)
        opening_text = normalize_text(self._openings[event], OPENING_LANGUAGE, lexicon) if event else ""
        opening = self.maker.speak(opening_text, OPENING_LANGUAGE, engines) if event else None
        spoken_text = opening_text + spoken
        return self.maker.render(opening=opening, body=body, spoken_text=spoken_text, profiles=[profile])[
            profile
        ]

    def _make(
        self,
        targets: list[_Target],
        text: str,
        language: str,
        lexicon: dict[str, str],
        engines: Sequence[TTSEngine] | None,
    ) -> dict[int, Rendition | str]:
        spoken = normalize_text(text, language, lexicon)
        try:
            body = self.maker.speak(spoken, language, engines)
        except TTSError as exc:
            return {t.clip_id: f"语音合成失败：{exc}" for t in targets}
        events = {t.event for t in targets}
        jobs = [
            self._events.submit(
                self._make_event, [t for t in targets if t.event is event], body, spoken, lexicon, engines
            )
            for event in events
        ]
        results: dict[int, Rendition | str] = {}
        for job in jobs:
            results |= job.result()
        return results

    def _make_event(
        self,
        targets: list[_Target],
        body: Speech,
        spoken: str,
        lexicon: dict[str, str],
        engines: Sequence[TTSEngine] | None,
    ) -> dict[int, Rendition | str]:
        opening_text = normalize_text(self._openings[targets[0].event], OPENING_LANGUAGE, lexicon)
        try:
            opening: Speech = self.maker.speak(opening_text, OPENING_LANGUAGE, engines)
        except TTSError as exc:
            return {t.clip_id: f"开场语合成失败：{exc}" for t in targets}
        renditions = self.maker.render(
            opening=opening,
            body=body,
            spoken_text=opening_text + spoken,
            profiles=[t.profile for t in targets],
        )
        return {t.clip_id: renditions[t.profile] for t in targets}


def _apply(clip: Clip, result: Rendition | str) -> None:
    if isinstance(result, str):
        log.warning("clip %s (%s, %s) not made: %s", clip.id, clip.event.value, clip.profile, result)
        if clip.status is not ClipStatus.ready:
            clip.status = ClipStatus.failed
            clip.error = result
            clip.updated_at = utcnow()
        return
    clip.status = ClipStatus.ready
    clip.sha256 = result.sha256
    clip.size_bytes = result.size_bytes
    clip.duration_ms = result.duration_ms
    clip.engine = result.engine
    clip.voice = result.voice
    clip.spoken_text = result.spoken_text
    clip.error = None
    clip.updated_at = utcnow()


def clips_in_use(db: Engine) -> set[str]:
    """The sha256 of every clip a slogan has: their files are never dropped from the synthesis cache."""
    if not inspect(db).has_table(Clip.__tablename__):  # type: ignore[arg-type]  # a str here, never a callable
        return set()  # a data dir with no schema yet (`ebike-voice synth` on a fresh dir) has no clips
    with Session(db) as session:
        return set(session.exec(select(Clip.sha256).where(col(Clip.sha256).is_not(None))))  # type: ignore[arg-type]  # NULLs filtered


def build_maker(
    settings: Settings,
    engines: Sequence[TTSEngine] | None = None,
    in_use: Callable[[], set[str]] = set,
) -> ClipMaker:
    return ClipMaker(
        engines=engines or build_engines(settings),
        clips_dir=settings.clips_dir,
        cache_dir=settings.cache_dir,
        loudness_lufs=settings.loudness_lufs,
        cache_max_bytes=settings.cache_max_bytes,
        in_use=in_use,
    )


def build_synthesizer(settings: Settings, db: Engine) -> Synthesizer:
    return Synthesizer(
        db=db,
        maker=build_maker(settings, in_use=lambda: clips_in_use(db)),
        openings={LockEvent.unlock: settings.unlock_opening, LockEvent.lock: settings.lock_opening},
    )
