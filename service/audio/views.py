from fastapi import APIRouter
from sqlmodel import SQLModel

from service.audio.profiles import ALWAYS_RENDERED, PROFILES

router = APIRouter()


class ProfilePublic(SQLModel):
    name: str
    format: str
    sample_rate: int
    bitrate: str | None
    max_duration_ms: int
    description: str
    always_rendered: bool


@router.get("", response_model=list[ProfilePublic])
def list_profiles() -> list[ProfilePublic]:
    """The device profiles a fleet can choose (`profile` on POST /v1/fleets)."""
    return [ProfilePublic(**p.__dict__, always_rendered=p.name in ALWAYS_RENDERED) for p in PROFILES.values()]
