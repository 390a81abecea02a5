"""Online neural voices through edge-tts, Microsoft Edge's read-aloud service: the quality path, which can
stop working at any time (403 waves, "no audio"), so it always needs a fallback engine after it."""

import asyncio
import math

import aiohttp
import edge_tts
import edge_tts.communicate
import edge_tts.constants
from edge_tts.data_classes import TTSConfig
from edge_tts.exceptions import EdgeTTSException, NoAudioReceived

from service.audio.pipeline import AudioError, decode
from service.tts.base import SpeechAudio, TTSError


class EdgeEngine:
    name = "edge"

    def __init__(
        self,
        voice_zh: str,
        voice_kk: str,
        wss_url: str | None,
        connect_timeout_s: float,
        deadline_s: float,
    ) -> None:
        for voice in (voice_zh, voice_kk):
            # Fails at startup on a misspelled voice, instead of on every synthesis.
            TTSConfig(voice, "+0%", "+0%", "+0Hz", "SentenceBoundary")
        self._voices = {"zh-CN": voice_zh, "kk": voice_kk}
        self._wss_url = wss_url or edge_tts.constants.WSS_URL
        self._connect_timeout_s = connect_timeout_s
        self._deadline_s = deadline_s

    def voice_for(self, language: str) -> str | None:
        return self._voices.get(language)

    def synthesize(self, text: str, language: str) -> SpeechAudio:
        voice = self.voice_for(language)
        if voice is None:
            raise TTSError(f"edge-tts has no voice for {language!r}")
        mp3 = asyncio.run(self._fetch(text, voice))
        try:
            segment = decode(mp3, "mp3")
        except AudioError as exc:
            raise TTSError(f"edge-tts returned undecodable audio: {exc}") from exc
        return SpeechAudio(segment=segment, engine=self.name, voice=voice)

    async def _fetch(self, text: str, voice: str) -> bytes:
        # edge-tts reads its endpoint from this module global when connecting. It is process-wide, so
        # engines with different URLs must not run concurrently; only tests build more than one.
        edge_tts.communicate.WSS_URL = self._wss_url
        communicate = edge_tts.Communicate(
            text,
            voice,
            connect_timeout=max(1, math.ceil(self._connect_timeout_s)),
            receive_timeout=max(1, math.ceil(self._deadline_s)),
        )
        audio = bytearray()
        try:
            async with asyncio.timeout(self._deadline_s):
                async for chunk in communicate.stream():
                    if chunk["type"] == "audio":
                        audio += chunk["data"]
        except NoAudioReceived as exc:
            raise TTSError("edge-tts returned no audio") from exc
        except aiohttp.ClientResponseError as exc:
            raise TTSError(f"edge-tts refused the request: HTTP {exc.status}") from exc
        # Before TimeoutError and OSError: aiohttp's connect and read timeouts subclass both.
        except aiohttp.ClientError as exc:
            raise TTSError(f"edge-tts unreachable: {str(exc) or type(exc).__name__}") from exc
        except TimeoutError as exc:
            raise TTSError(f"edge-tts timed out after {self._deadline_s:g}s") from exc
        except OSError as exc:
            raise TTSError(f"edge-tts unreachable: {exc}") from exc
        except EdgeTTSException as exc:
            raise TTSError(f"edge-tts protocol error: {exc}") from exc
        if not audio:
            raise TTSError("edge-tts returned no audio")
        # edge-tts adds a turn's bytes to this total only on `turn.end`: a connection closed before that
        # ends the stream quietly with whatever audio had arrived.
        if communicate.state["cumulative_audio_bytes"] != len(audio):
            raise TTSError("edge-tts stream ended early")
        return bytes(audio)
