import unicodedata

from sqlmodel import Session, col, select

from service.auth.models import ApiKey, Role
from service.clips.models import Clip, ClipPublic, ClipStatus
from service.clips.synthesis import ensure_clip_rows
from service.errors import Conflict, Forbidden, Invalid, NotFound
from service.slogans.models import (
    Slogan,
    SloganCreate,
    SloganPublic,
    SloganStatus,
    SloganUpdate,
    check_scripts,
)
from service.snapshot_version import bump_version
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
    query = select(Slogan).order_by(col(Slogan.id))
    if issuer is not None:
        query = query.where(Slogan.issuer == issuer)
    return list(session.exec(query))


def check_may_edit(*, slogan: Slogan, api_key: ApiKey) -> None:
    """Police act on their own issuer's slogans only; admins on all."""
    if api_key.role is Role.police and slogan.issuer != api_key.issuer:
        raise Forbidden("police keys act only on their own issuer's slogans")


def update_slogan(*, session: Session, slogan: Slogan, slogan_in: SloganUpdate, editor: ApiKey) -> Slogan:
    if slogan.status not in (SloganStatus.pending, SloganStatus.approved):
        raise Conflict(f"slogan {slogan.id} is {slogan.status.value} and can no longer be edited")
    changes = slogan_in.model_dump(exclude_unset=True)
    if changes.get("text") is None:
        changes.pop("text", None)
    valid_from = changes.get("valid_from", slogan.valid_from)
    valid_until = changes.get("valid_until", slogan.valid_until)
    if valid_from and valid_until and valid_until <= valid_from:
        raise Invalid("valid_until must be after valid_from")
    if "text" in changes:
        try:
            check_scripts(changes["text"], slogan.language)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
    if "text" in changes and changes["text"] != slogan.text:
        # New words need a new review and new clips: until then the slogan is not served.
        slogan.status = SloganStatus.pending
        slogan.reviewed_at = None
        slogan.created_by = editor.id  # whoever wrote these words may not approve them
        for clip in session.exec(select(Clip).where(Clip.slogan_id == slogan.id)):
            clip.status = ClipStatus.pending
            session.add(clip)
    slogan.sqlmodel_update(changes)
    session.add(slogan)
    bump_version(session)
    session.commit()
    session.refresh(slogan)
    return slogan


def withdraw_slogan(*, session: Session, slogan: Slogan) -> Slogan:
    """Taken out of every campaign's rotation for good; its plays stay in the statistics."""
    if slogan.status is SloganStatus.withdrawn:
        raise Conflict(f"slogan {slogan.id} is already withdrawn")
    slogan.status = SloganStatus.withdrawn
    session.add(slogan)
    bump_version(session)
    session.commit()
    session.refresh(slogan)
    return slogan


def review_slogan(
    *,
    session: Session,
    slogan: Slogan,
    approve: bool,
    reviewer: ApiKey | None = None,
    reason: str | None = None,
) -> Slogan:
    """Approve (clips are then made in the background) or reject with a reason for the author. Approving
    twice is harmless. Nobody reviews a slogan they wrote themselves."""
    if reviewer is not None and reviewer.id is not None and slogan.created_by == reviewer.id:
        raise Forbidden("a slogan must be reviewed by someone other than its author")
    target = SloganStatus.approved if approve else SloganStatus.rejected
    if slogan.status is not SloganStatus.pending and slogan.status is not target:
        raise Conflict(f"slogan {slogan.id} is already {slogan.status.value}")
    if slogan.status is not target:  # approving again only retries clips that failed
        slogan.status = target
        slogan.reviewed_at = utcnow()
        slogan.review_reason = None if approve else reason
        session.add(slogan)
    if approve:
        assert slogan.id is not None
        ensure_clip_rows(session=session, slogan_id=slogan.id)
    bump_version(session)
    session.commit()
    session.refresh(slogan)
    return slogan


def slogan_public(*, session: Session, slogan: Slogan) -> SloganPublic:
    clips = session.exec(select(Clip).where(col(Clip.slogan_id) == slogan.id).order_by(col(Clip.id)))
    return SloganPublic.model_validate(slogan, update={"clips": [ClipPublic.of(c) for c in clips]})


def _comparable(text: str) -> str:
    """The words of a text, for spotting the same slogan typed with other spaces or punctuation."""
    words = (c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c)[0] in "LN")
    return "".join(words).casefold()


def find_duplicates(*, session: Session, text: str, exclude_id: int | None = None) -> list[Slogan]:
    """Slogans still pending or approved that say the same words (the police form warns of them)."""
    wanted = _comparable(text)
    live = select(Slogan).where(col(Slogan.status).in_([SloganStatus.pending, SloganStatus.approved]))
    return [s for s in session.exec(live) if s.id != exclude_id and wanted and _comparable(s.text) == wanted]
