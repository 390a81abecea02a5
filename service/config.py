"""Settings, read from environment variables prefixed EBIKE_VOICE_."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.timewindows import parse_window_text


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
    # The synthesis cache (engine output, rendition index, clip files no slogan uses) is kept under this many
    # bytes by dropping the least recently used entries; clip files of slogans are never dropped.
    cache_max_bytes: int = Field(default=512 * 1024 * 1024, ge=0)

    unlock_opening: str = "开锁成功！"
    lock_opening: str = "还车成功！"

    # "auto": human-readable text on a terminal, JSON lines otherwise (service/observability/logs.py).
    log_format: Literal["auto", "json", "text"] = "auto"
    log_level: str = "INFO"
    # A line per request (`serve --no-access-log` turns it off in every worker, for load tests).
    access_log: bool = True

    # Lock events per operator key per second (each worker process), and the burst allowed above it: a
    # national operator's backend reports millions of bikes through one key (5 million bikes unlocking and
    # locking 3 times a day average ~350 events/s, with peaks several times that).
    event_rate_per_key_s: float = 5000.0
    event_burst_per_key: int = 10000
    # How often a worker checks whether zones/campaigns/slogans changed elsewhere.
    snapshot_check_interval_s: float = 1.0

    # Targeting, stats days and rollups follow this zone's clocks (dayparts, quiet hours, daily caps).
    timezone: str = "Asia/Shanghai"
    # Lock speaker volume (0-7) by day, and in the quiet hours (HH:MM-HH:MM, may wrap past midnight).
    volume: int = Field(default=6, ge=0, le=7)
    quiet_hours: str = "22:00-07:00"
    quiet_volume: int = Field(default=3, ge=0, le=7)
    # GPS error allowance added around Point zones (metres).
    point_zone_tolerance_m: float = Field(default=15.0, ge=0, le=500)
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

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value.strip():
            parse_window_text(value)
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

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
