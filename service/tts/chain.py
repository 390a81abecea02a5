"""Engines in the configured order, each falling back to the next."""

import logging

from service.config import Settings
from service.tts.base import SpeechAudio, TTSEngine, TTSError
from service.tts.breaker import CircuitBreaker
from service.tts.espeak import EspeakEngine

logger = logging.getLogger(__name__)


def build_engines(settings: Settings) -> list[TTSEngine]:
    engines: list[TTSEngine] = []
    for name in settings.tts_engines:
        if name == "edge":
            # Imported only where configured: edge-tts brings aiohttp (~9 MB in each worker).
            from service.tts.edge import EdgeEngine

            engines.append(
                EdgeEngine(
                    voice_zh=settings.edge_voice_zh,
                    voice_kk=settings.edge_voice_kk,
                    wss_url=settings.edge_wss_url,
                    connect_timeout_s=settings.edge_connect_timeout_s,
                    deadline_s=settings.edge_deadline_s,
                    retries=settings.edge_retries,
                    retry_backoff_s=settings.edge_retry_backoff_s,
                    max_concurrent=settings.edge_max_concurrent,
                    breaker=CircuitBreaker(
                        "edge-tts",
                        failure_threshold=settings.edge_breaker_failures,
                        cooldown_s=settings.edge_breaker_cooldown_s,
                    ),
                )
            )
        elif name == "espeak":
            engines.append(EspeakEngine())
        else:
            raise ValueError(f"unknown TTS engine {name!r} in tts_engines (known: edge, espeak)")
    if not engines:
        raise ValueError("tts_engines is empty")
    return engines


def synthesize_first(engines: list[TTSEngine], text: str, language: str) -> SpeechAudio:
    reasons = []
    for engine in engines:
        if engine.voice_for(language) is None:
            continue
        try:
            return engine.synthesize(text, language)
        except TTSError as exc:
            logger.warning("TTS engine %s failed for %s: %s", engine.name, language, exc)
            reasons.append(f"{engine.name}: {exc}")
    if not reasons:
        raise TTSError(f"no TTS engine speaks {language!r}")
    raise TTSError("all TTS engines failed (" + "; ".join(reasons) + ")")
