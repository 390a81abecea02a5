"""Settings, read from environment variables prefixed EBIKE_VOICE_."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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

    unlock_opening: str = "开锁成功！"
    lock_opening: str = "还车成功！"

    max_slogan_chars: int = 80
    # How often a worker checks whether zones/campaigns/slogans changed elsewhere.
    snapshot_check_interval_s: float = 1.0

    # The deployment's time zone: day buckets of the stats and the daily rollups follow its midnight.
    timezone: str = "Asia/Shanghai"
    # Most events one POST /v1/events/batch may carry (offline locks upload their backlog in batches).
    event_batch_max: int = 1000
    # A proof of play further than this from the server's receive time is flagged as clock skew.
    clock_skew_threshold_s: float = 300.0
    # Months of the raw event log `ebike-voice retention` keeps (the rollups stay); 0 keeps everything.
    event_retention_months: int = 0

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("tts_engines", mode="before")
    @classmethod
    def _split_engines(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def clips_dir(self) -> Path:
        return self.data_dir / "clips"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ebike-voice.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
