from sqlmodel import Session, select

from service.auth.models import ApiKey, Role
from service.clips.models import Clip, ClipPublic
from service.clips.synthesis import ensure_clip_rows
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.events.snapshot import bump_version
from service.slogans.models import Slogan, SloganCreate, SloganPublic, SloganStatus
from service.timeutil import utcnow


def create_slogan(*, session: Session, slogan_in: SloganCreate, author: ApiKey) -> Slogan:
    if author.role is Role.police:
        if slogan_in.issuer not in (None, author.issuer):
            raise Forbidden(f"a police key of {author.issuer} cannot post slogans for {slogan_in.issuer}")
        issuer = author.issuer
    else:
        issuer = slogan_in.issuer
    if not issuer:
        raise Invalid("issuer is required: the police unit the slogan speaks for")
    slogan = Slogan.model_validate(slogan_in, update={"issuer": issuer, "created_by": author.id})
    session.add(slogan)
    session.commit()
    session.refresh(slogan)
    return slogan


def get_slogan(*, session: Session, slogan_id: int) -> Slogan:
    slogan = session.get(Slogan, slogan_id)
    if slogan is None:
        raise NotFound(f"slogan {slogan_id} not found")
    return slogan


def list_slogans(*, session: Session, issuer: str | None = None) -> list[Slogan]:
    query = select(Slogan).order_by(Slogan.id)  # type: ignore[arg-type]
    if issuer is not None:
        query = query.where(Slogan.issuer == issuer)
    return list(session.exec(query))


def review_slogan(*, session: Session, slogan: Slogan, approve: bool) -> Slogan:
    """Approve (clips are then made in the background) or reject. Approving twice is harmless."""
    target = SloganStatus.approved if approve else SloganStatus.rejected
    if slogan.status is not SloganStatus.pending and slogan.status is not target:
        raise Conflict(f"slogan {slogan.id} is already {slogan.status.value}")
    slogan.status = target
    slogan.reviewed_at = utcnow()
    session.add(slogan)
    if approve:
        assert slogan.id is not None
        ensure_clip_rows(session=session, slogan_id=slogan.id)
    bump_version(session)
    session.commit()
    session.refresh(slogan)
    return slogan


def slogan_public(*, session: Session, slogan: Slogan) -> SloganPublic:
    clips = session.exec(select(Clip).where(Clip.slogan_id == slogan.id).order_by(Clip.id))  # type: ignore[arg-type]
    return SloganPublic.model_validate(slogan, update={"clips": [ClipPublic.of(c) for c in clips]})
