"""Device profiles: what each kind of lock speaker can play. A fleet picks one; clips are rendered for every
profile a fleet uses, and always for mp3-16k and wav-16k (the `mp3` and `wav` formats clients know)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    format: str  # the container: "mp3" or "wav"
    sample_rate: int
    bitrate: str | None  # for mp3
    max_duration_ms: int
    description: str


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("mp3-16k", "mp3", 16_000, "32k", 30_000, "MP3, mono, 16 kHz, 32 kbps"),
        Profile("wav-16k", "wav", 16_000, None, 30_000, "PCM WAV, 16-bit, mono, 16 kHz"),
        # WT588D-class voice chips: a few minutes of flash in all, so each prompt must stay short.
        Profile("wav-8k", "wav", 8_000, None, 25_000, "PCM WAV, 16-bit, mono, 8 kHz, for small voice chips"),
    )
}
DEFAULT_PROFILE = "mp3-16k"
ALWAYS_RENDERED = ("mp3-16k", "wav-16k")


def check_profile_name(value: str) -> str:
    """For request models: a known profile name, or a ValueError that lists them."""
    if value not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
    return value
