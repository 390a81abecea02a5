"""Online neural voices through edge-tts, Microsoft Edge's read-aloud service: the quality path, which can
stop working at any time (403 waves, "no audio"), so it always needs a fallback engine after it."""

import asyncio
import math
import threading
import time

import aiohttp
import edge_tts
import edge_tts.communicate
import edge_tts.constants
from edge_tts.data_classes import TTSConfig
from edge_tts.exceptions import EdgeTTSException, NoAudioReceived

from service.audio.pipeline import AudioError, decode
from service.tts.base import SpeechAudio, TTSError
from service.tts.breaker import CircuitBreaker

# The service answers these when it is busy or briefly out of sorts; anything else will not get better by
# asking again straight away.
_RETRY_STATUSES = frozenset({429, 503})


class _Transient(TTSError):
    """A failure worth a retry after a short wait: HTTP 429 or 503, or "no audio"."""


class EdgeEngine:
    name = "edge"

    def __init__(
        self,
        voice_zh: str,
        voice_kk: str,
        wss_url: str | None,
        connect_timeout_s: float,
        deadline_s: float,
        *,
        retries: int = 2,
        retry_backoff_s: float = 0.5,
        max_concurrent: int = 2,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        for voice in (voice_zh, voice_kk):
            # Fails at startup on a misspelled voice, instead of on every synthesis.
            TTSConfig(voice, "+0%", "+0%", "+0Hz", "SentenceBoundary")
        self._voices = {"zh-CN": voice_zh, "kk": voice_kk}
        self._wss_url = wss_url or edge_tts.constants.WSS_URL
        self._connect_timeout_s = connect_timeout_s
        self._deadline_s = deadline_s
        self._retries = retries
        self._retry_backoff_s = retry_backoff_s
        # Parallel requests are what draws 429s and 503s from the service.
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self.breaker = breaker or CircuitBreaker("edge-tts", failure_threshold=5, cooldown_s=60.0)

    def voice_for(self, language: str, text: str = "") -> str | None:  # noqa: ARG002 (one voice a language)
        return self._voices.get(language)

    def status(self) -> str:
        return self.breaker.state.value

    def synthesize(self, text: str, language: str) -> SpeechAudio:
        voice = self.voice_for(language)
        if voice is None:
            raise TTSError(f"edge-tts has no voice for {language!r}")
        if not self.breaker.allow():
            raise TTSError("edge-tts is paused after repeated failures (circuit open)")
        try:
            with self._slots:
                mp3 = asyncio.run(self._fetch_with_retries(text, voice))
            try:
                segment = decode(mp3, "mp3")
            except AudioError as exc:
                raise TTSError(f"edge-tts returned undecodable audio: {exc}") from exc
        except TTSError:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return SpeechAudio(segment=segment, engine=self.name, voice=voice)

    async def _fetch_with_retries(self, text: str, voice: str) -> bytes:
        """Retries transient failures with exponential backoff, all within one overall deadline."""
        deadline = time.monotonic() + self._deadline_s
        for attempt in range(self._retries + 1):
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    return await self._fetch(text, voice)
            except TimeoutError as exc:
                raise TTSError(f"edge-tts timed out after {self._deadline_s:g}s") from exc
            except _Transient as exc:
                delay = self._retry_backoff_s * 2**attempt
                if attempt == self._retries or time.monotonic() + delay >= deadline:
                    raise TTSError(f"{exc} (after {attempt + 1} attempts)") from exc
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _fetch(self, text: str, voice: str) -> bytes:
        # edge-tts reads its endpoint from this module global when connecting. It is process-wide, so
        # engines with different URLs must not run concurrently; only tests build more than one.
        edge_tts.communicate.WSS_URL = self._wss_url  # type: ignore[attr-defined]  # imported there, not exported
        communicate = edge_tts.Communicate(
            text,
            voice,
            connect_timeout=max(1, math.ceil(self._connect_timeout_s)),
            receive_timeout=max(1, math.ceil(self._deadline_s)),
        )
        audio = bytearray()
        try:
            async for chunk in communicate.stream():
                if chunk["type"] == "audio":
                    audio += chunk["data"]
        except NoAudioReceived as exc:
            raise _Transient("edge-tts returned no audio") from exc
        except aiohttp.ClientResponseError as exc:
            error = _Transient if exc.status in _RETRY_STATUSES else TTSError
            raise error(f"edge-tts refused the request: HTTP {exc.status}") from exc
        # Before OSError: aiohttp's connect and read timeouts subclass it (and TimeoutError, which is
        # left to the caller's deadline).
        except aiohttp.ClientError as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise TTSError(f"edge-tts unreachable: {str(exc) or type(exc).__name__}") from exc
        except OSError as exc:
            if isinstance(exc, TimeoutError):
                raise
            raise TTSError(f"edge-tts unreachable: {exc}") from exc
        except EdgeTTSException as exc:
            raise TTSError(f"edge-tts protocol error: {exc}") from exc
        if not audio:
            raise _Transient("edge-tts returned no audio")
        # edge-tts adds a turn's bytes to this total only on `turn.end`: a connection closed before that
        # ends the stream quietly with whatever audio had arrived.
        if communicate.state["cumulative_audio_bytes"] != len(audio):
            raise TTSError("edge-tts stream ended early")
        return bytes(audio)
