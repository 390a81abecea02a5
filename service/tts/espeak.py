"""Offline speech through libespeak-ng 1.52 from the espeakng-loader wheel, called with ctypes."""

import ctypes
import re
import threading

import espeakng_loader
from pydub import AudioSegment

from service.tts.base import SpeechAudio, TTSError

_SYNCHRONOUS = 0x0001  # ENOUTPUT_MODE_SYNCHRONOUS
_CHARS_UTF8 = 1  # espeakCHARS_UTF8
_POS_CHARACTER = 1

# Kazakh is written in Cyrillic in Kazakhstan but in Arabic script in Xinjiang; eSpeak's `kk` only reads
# Cyrillic, and `ug` reads Arabic-script Kazakh acceptably.
_VOICES = {"zh-CN": "cmn", "ug": "ug", "kk": "kk"}
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")

_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Library:
    """The process-wide libespeak-ng: it keeps global state, so every call goes through one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lib: ctypes.CDLL | None = None
        self._sample_rate = 0
        self._chunks: list[bytes] = []
        # Kept referenced for the life of the process: the library calls it after we return.
        self._callback = _SYNTH_CALLBACK(self._on_samples)

    def _on_samples(
        self, wav: "ctypes._Pointer[ctypes.c_short]", num_samples: int, _events: int | None
    ) -> int:
        if wav and num_samples > 0:
            self._chunks.append(ctypes.string_at(wav, num_samples * 2))
        return 0

    def _load(self) -> ctypes.CDLL:
        if self._lib is not None:
            return self._lib
        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_ng_InitializePath.argtypes = [ctypes.c_char_p]
        lib.espeak_ng_InitializePath.restype = None
        lib.espeak_ng_Initialize.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        lib.espeak_ng_Initialize.restype = ctypes.c_int
        lib.espeak_ng_InitializeOutput.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p]
        lib.espeak_ng_InitializeOutput.restype = ctypes.c_int
        lib.espeak_ng_GetSampleRate.argtypes = []
        lib.espeak_ng_GetSampleRate.restype = ctypes.c_int
        lib.espeak_ng_GetStatusCodeMessage.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        lib.espeak_ng_GetStatusCodeMessage.restype = None
        lib.espeak_ng_ClearErrorContext.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
        lib.espeak_ng_ClearErrorContext.restype = None
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int
        lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        lib.espeak_TextToPhonemes.restype = ctypes.c_char_p

        lib.espeak_ng_InitializePath(espeakng_loader.get_data_path().encode())
        context = ctypes.c_void_p()
        status = lib.espeak_ng_Initialize(ctypes.byref(context))
        lib.espeak_ng_ClearErrorContext(ctypes.byref(context))
        if status != 0:
            raise TTSError(f"espeak-ng could not start: {_status_message(lib, status)}")
        status = lib.espeak_ng_InitializeOutput(_SYNCHRONOUS, 0, None)
        if status != 0:
            raise TTSError(f"espeak-ng could not start its output: {_status_message(lib, status)}")
        lib.espeak_SetSynthCallback(self._callback)
        self._sample_rate = lib.espeak_ng_GetSampleRate()
        self._lib = lib
        return lib

    def synthesize(self, text: str, voice: str) -> AudioSegment:
        encoded = text.encode("utf-8")
        with self._lock:
            try:
                lib = self._load()
                if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                    raise TTSError(f"espeak-ng has no voice {voice!r}")
                self._chunks = []
                status = lib.espeak_Synth(
                    encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
                )
                if status != 0:
                    raise TTSError(f"espeak-ng synthesis failed (error {status})")
                if lib.espeak_Synchronize() != 0:
                    raise TTSError("espeak-ng synthesis did not finish")
                pcm = b"".join(self._chunks)
            except (OSError, ctypes.ArgumentError) as exc:
                raise TTSError(f"espeak-ng unavailable: {exc}") from exc
            finally:
                self._chunks = []
        # Text with nothing to pronounce still yields a few milliseconds of zeros.
        if not pcm.strip(b"\0"):
            raise TTSError("espeak-ng produced no audio")
        return AudioSegment(data=pcm, sample_width=2, frame_rate=self._sample_rate, channels=1)

    def phonemes(self, text: str, voice: str) -> str:
        """What the voice would say, as eSpeak's phoneme mnemonics (tones as digits: 还 hái is `Xai35`,
        环 huán `Xua35n`), one clause after another; a switch of language shows as `(en)`."""
        remaining = ctypes.c_char_p(text.encode("utf-8"))
        clauses = []
        with self._lock:
            try:
                lib = self._load()
                if lib.espeak_SetVoiceByName(voice.encode()) != 0:
                    raise TTSError(f"espeak-ng has no voice {voice!r}")
                while remaining.value:
                    clause = lib.espeak_TextToPhonemes(ctypes.byref(remaining), _CHARS_UTF8, 0)
                    clauses.append((clause or b"").decode("utf-8", errors="replace"))
            except (OSError, ctypes.ArgumentError) as exc:
                raise TTSError(f"espeak-ng unavailable: {exc}") from exc
        return " ".join(clauses)


def _status_message(lib: ctypes.CDLL, status: int) -> str:
    buffer = ctypes.create_string_buffer(256)
    lib.espeak_ng_GetStatusCodeMessage(status, buffer, len(buffer))
    return buffer.value.decode(errors="replace") or f"status {status:#x}"


_library = _Library()


def phonemes(text: str, language: str) -> str:
    """The phonemes eSpeak NG produces for `text` (already normalized) in the voice it would use."""
    voice = EspeakEngine().voice_for(language, text)
    if voice is None:
        raise TTSError(f"espeak-ng cannot speak {language!r}")
    return _library.phonemes(text, voice)


class EspeakEngine:
    name = "espeak"

    def voice_for(self, language: str, text: str = "") -> str | None:
        voice = _VOICES.get(language)
        if language == "kk" and _ARABIC_SCRIPT.search(text):
            return "ug"
        return voice

    def status(self) -> str:
        return "ok"  # embedded: nothing to break down

    def synthesize(self, text: str, language: str) -> SpeechAudio:
        voice = self.voice_for(language, text)
        if voice is None:
            raise TTSError(f"espeak-ng cannot speak {language!r}")
        return SpeechAudio(segment=_library.synthesize(text, voice), engine=self.name, voice=voice)
