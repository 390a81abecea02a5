"""Text to finished clips, through a content-addressed synthesis cache.

Two levels, both keyed on everything that changes their output and kept under <data>/cache:
- speech: what an engine said, keyed on (engine, voice, language, normalized text); saved as WAV;
- renditions: a finished clip, keyed on (both speech keys, profile, loudness target, pipeline version);
  the index points at the content-addressed file in the clip store.
So the same request never synthesizes or encodes twice, a new profile reuses the speech, and concurrent
identical requests in this process share one synthesis (a single-flight table).

The cache is bounded in bytes (`CacheBound`): each hit touches its files' modification time, and past the
bound the least recently used entries go first — speech, index entries, and clip files that no slogan uses
(previews); the clip files of slogans (`in_use`) are never removed and not counted."""

import contextlib
import hashlib
import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from pydub import AudioSegment

from service.audio.pipeline import PIPELINE_VERSION, AudioError, decode, render, trim_silence
from service.audio.quality import QualityError, check_clip
from service.clips.storage import clip_path, store_clip, write_atomic
from service.observability.metrics import SYNTHESES
from service.tts.base import TTSEngine, TTSError

log = logging.getLogger(__name__)

OPENING_LANGUAGE = "zh-CN"
GAP_MS = 200

T = TypeVar("T")


class SingleFlight:
    """Concurrent calls with the same key run `fn` once; the others wait for its result (or exception)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, Future[Any]] = {}

    def run(self, key: str, fn: Callable[[], T]) -> T:
        with self._lock:
            future = self._running.get(key)
            owner = future is None
            if future is None:
                future = self._running[key] = Future()
        if not owner:
            return cast(T, future.result())
        try:
            result = fn()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                del self._running[key]


def cache_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class Speech:
    """What an engine said, from the cache or just made; the audio is loaded only when rendering."""

    key: str
    engine: str
    voice: str
    path: Path

    def segment(self) -> AudioSegment:
        return decode(self.path.read_bytes(), "wav")


@dataclass(frozen=True)
class Rendition:
    profile: str
    format: str
    sha256: str
    size_bytes: int
    duration_ms: int
    engine: str
    voice: str
    spoken_text: str


def _touch(path: Path) -> None:
    """Marks a cache entry as just used (its mtime is the LRU order; atime is often not kept)."""
    with contextlib.suppress(OSError):
        os.utime(path)


class CacheBound:
    """Keeps the cache's files under `max_bytes`, least recently used out first. Files used in the last
    `min_age_s` seconds stay (a synthesis in progress may be about to read them), and so do the clip files
    `in_use` names (by sha256). The size is tracked as files are written, so the directories are only
    walked when it may be over the bound."""

    def __init__(
        self,
        *,
        max_bytes: int,
        dirs: Sequence[Path],
        clips_dir: Path,
        in_use: Callable[[], set[str]] = set,
        min_age_s: float = 60.0,
    ) -> None:
        self.max_bytes = max_bytes
        self._dirs = (*dirs, clips_dir)
        self._clips_dir = clips_dir
        self._in_use = in_use
        self._min_age_s = min_age_s
        self._lock = threading.Lock()
        self._size: int | None = None  # unknown until the first walk

    def added(self, size: int) -> None:
        with self._lock:
            if self._size is not None:
                self._size += size
            if self._size is None or self._size > self.max_bytes:
                self._evict()

    def _entries(self, in_use: set[str]) -> list[tuple[float, int, Path]]:
        entries = []
        for root in self._dirs:
            for path in root.glob("*/*"):
                if path.name.startswith(".tmp-"):
                    continue
                if root == self._clips_dir and path.stem in in_use:
                    continue
                with contextlib.suppress(OSError):
                    stat = path.stat()
                    entries.append((stat.st_mtime, stat.st_size, path))
        return entries

    def _evict(self) -> None:
        try:
            in_use = self._in_use()
        except Exception:  # the database is down: remove nothing rather than a clip in use
            log.exception("cache bound: could not read the clips in use; nothing removed")
            return
        entries = sorted(self._entries(in_use))
        size = sum(entry[1] for entry in entries)
        young = time.time() - self._min_age_s
        removed = 0
        for mtime, bytes_, path in entries:
            if size <= self.max_bytes or mtime > young:
                break
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            size -= bytes_
            removed += 1
        if removed:
            log.info("synthesis cache: removed %d least recently used files, %d bytes left", removed, size)
        self._size = size


class ClipMaker:
    def __init__(
        self,
        *,
        engines: Sequence[TTSEngine],
        clips_dir: Path,
        cache_dir: Path,
        loudness_lufs: float,
        cache_max_bytes: int | None = None,
        in_use: Callable[[], set[str]] = set,
        cache_min_age_s: float = 60.0,
    ) -> None:
        self.engines = engines
        self._clips_dir = clips_dir
        self._speech_dir = cache_dir / "speech"
        self._index_dir = cache_dir / "renditions"
        self._loudness_lufs = loudness_lufs
        self._flights = SingleFlight()
        self.bound = (
            None
            if cache_max_bytes is None
            else CacheBound(
                max_bytes=cache_max_bytes,
                dirs=(self._speech_dir, self._index_dir),
                clips_dir=clips_dir,
                in_use=in_use,
                min_age_s=cache_min_age_s,
            )
        )

    def _added(self, size: int) -> None:
        if self.bound is not None:
            self.bound.added(size)

    def speak(self, text: str, language: str, engines: Sequence[TTSEngine] | None = None) -> Speech:
        """The first engine (in order) that has this text cached or speaks it now. Raises TTSError."""
        reasons = []
        for engine in engines or self.engines:
            voice = engine.voice_for(language, text)
            if voice is None:
                continue
            key = cache_key("speech", engine.name, voice, language, text)
            speech = Speech(key, engine.name, voice, self._speech_dir / key[:2] / f"{key}.wav")
            if speech.path.is_file():
                _touch(speech.path)
                return speech
            try:
                made = self._flights.run(key, partial(self._synthesize, engine, speech, text, language))
            except TTSError as exc:
                SYNTHESES.labels(engine.name, "failed").inc()
                log.warning("TTS engine %s failed for %s: %s", engine.name, language, exc)
                reasons.append(f"{engine.name}: {exc}")
            else:
                SYNTHESES.labels(engine.name, "ok").inc()
                return made
        if not reasons:
            raise TTSError(f"no TTS engine speaks {language!r}")
        raise TTSError("all TTS engines failed (" + "; ".join(reasons) + ")")

    def _synthesize(self, engine: TTSEngine, speech: Speech, text: str, language: str) -> Speech:
        if speech.path.is_file():  # made by the flight that just ended
            return speech
        said = engine.synthesize(text, language)
        data = said.segment.export(io.BytesIO(), format="wav").getvalue()
        write_atomic(speech.path, data, durable=False)
        self._added(len(data))
        # The voice that spoke, should an engine choose another than voice_for named.
        return Speech(speech.key, said.engine, said.voice, speech.path)

    def render(
        self, *, opening: Speech | None, body: Speech, spoken_text: str, profiles: Sequence[str]
    ) -> dict[str, Rendition | str]:
        """Each profile's clip, from the cache or made now (the profiles missing are rendered together, so
        each sample rate is prepared once), or the reason it could not be made."""
        keys = {
            profile: cache_key(
                "rendition",
                PIPELINE_VERSION,
                self._loudness_lufs,
                profile,
                opening.key if opening else None,
                body.key,
                spoken_text,
            )
            for profile in profiles
        }
        results: dict[str, Rendition | str] = {}
        for profile, key in keys.items():
            if (cached := self._cached(key)) is not None:
                results[profile] = cached
        missing = {profile: key for profile, key in keys.items() if profile not in results}
        if missing:
            flight = cache_key(sorted(missing.values()))
            results |= self._flights.run(flight, lambda: self._make(missing, opening, body, spoken_text))
        return results

    def _cached(self, key: str) -> Rendition | None:
        index = self._index_dir / key[:2] / f"{key}.json"
        try:
            rendition = Rendition(**json.loads(index.read_bytes()))
        except (OSError, ValueError, TypeError):
            return None
        clip = clip_path(self._clips_dir, rendition.sha256, rendition.format)
        if not clip.is_file():
            return None
        _touch(index)
        _touch(clip)
        return rendition

    def _make(
        self, keys: dict[str, str], opening: Speech | None, body: Speech, spoken_text: str
    ) -> dict[str, Rendition | str]:
        try:
            speech = trim_silence(body.segment())
            if opening is not None:
                gap = AudioSegment.silent(GAP_MS, frame_rate=speech.frame_rate)
                speech = trim_silence(opening.segment()) + gap + speech
            rendered = render(speech, tuple(keys), self._loudness_lufs)
        except (AudioError, OSError) as exc:
            return dict.fromkeys(keys, f"音频处理失败：{exc}")
        results: dict[str, Rendition | str] = {}
        for profile, audio in rendered.items():
            try:
                check_clip(audio, spoken_text, self._loudness_lufs)
            except QualityError as exc:
                results[profile] = str(exc)
                continue
            try:
                store_clip(self._clips_dir, audio.sha256, audio.format, audio.data)
            except OSError as exc:  # disk full or unwritable: this clip fails, the service goes on
                results[profile] = f"保存音频失败：{exc}"
                continue
            rendition = Rendition(
                profile=profile,
                format=audio.format,
                sha256=audio.sha256,
                size_bytes=len(audio.data),
                duration_ms=audio.duration_ms,
                engine=body.engine,
                voice=body.voice,
                spoken_text=spoken_text,
            )
            index = self._index_dir / keys[profile][:2] / f"{keys[profile]}.json"
            entry = json.dumps(rendition.__dict__, ensure_ascii=False).encode()
            with contextlib.suppress(OSError):  # only a cache: without it the next request re-renders
                write_atomic(index, entry, durable=False)
            self._added(len(audio.data) + len(entry))
            results[profile] = rendition
        return results
