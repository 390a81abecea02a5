"""Settings, read from environment variables prefixed EBIKE_VOICE_."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EBIKE_VOICE_", extra="ignore")

    data_dir: Path = Path("./data")
    # Default: SQLite file inside data_dir (resolved in `effective_database_url`).
    database_url: str | None = None

    # Engines tried in order for every synthesis; the offline one should come last.
    tts_engines: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["edge", "espeak"])
    edge_voice_zh: str = "zh-CN-XiaoxiaoNeural"
    edge_voice_kk: str = "kk-KZ-AigulNeural"
    # Override of edge-tts's service endpoint (tests point it at a local server).
    edge_wss_url: str | None = None
    edge_connect_timeout_s: float = 3.0
    edge_deadline_s: float = 15.0
    # Retries on HTTP 429/503 and "no audio", waiting backoff, 2x backoff, ... (all within the deadline).
    edge_retries: int = 2
    edge_retry_backoff_s: float = 0.5
    edge_max_concurrent: int = 2
    # After this many failed syntheses in a row edge-tts is skipped for the cool-down, then tried once.
    edge_breaker_failures: int = 5
    edge_breaker_cooldown_s: float = 60.0

    # Integrated loudness (LUFS, EBU R128) every clip is brought to; sample peaks stay under -2 dBFS.
    loudness_lufs: float = -18.0

    unlock_opening: str = "开锁成功！"
    lock_opening: str = "还车成功！"

    max_slogan_chars: int = 80
    # How often a worker checks whether zones/campaigns/slogans changed elsewhere.
    snapshot_check_interval_s: float = 1.0

    @field_validator("tts_engines", mode="before")
    @classmethod
    def _split_engines(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def clips_dir(self) -> Path:
        return self.data_dir / "clips"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ebike-voice.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
