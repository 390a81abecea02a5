"""The small interface every speech engine sits behind."""

from dataclasses import dataclass
from typing import Protocol

from pydub import AudioSegment


class TTSError(Exception):
    """An engine could not speak the text. The message is safe to show to police and admins."""


@dataclass(frozen=True)
class SpeechAudio:
    segment: AudioSegment
    engine: str
    voice: str


class TTSEngine(Protocol):
    name: str

    def voice_for(self, language: str, text: str = "") -> str | None:
        """The voice this engine uses for `text` in `language` (e.g. "zh-CN"), or None if it cannot speak
        it. The text matters where one language has several scripts (Kazakh: Cyrillic or Arabic); the
        voice named here is the one that speaks and the one a clip records."""
        ...

    def synthesize(self, text: str, language: str) -> SpeechAudio:
        """Speak `text` (already normalized). Blocking and thread-safe; raises TTSError on any failure."""
        ...

    def status(self) -> str:
        """For /readyz: "ok", or the state of the engine's circuit breaker ("closed", "open", ...)."""
        ...
