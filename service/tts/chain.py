"""The engines in the configured order; `ClipMaker.speak` falls back from each to the next."""

from service.config import Settings
from service.tts.base import TTSEngine
from service.tts.breaker import CircuitBreaker
from service.tts.espeak import EspeakEngine


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
