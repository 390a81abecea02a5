from typing import Annotated

from fastapi import APIRouter, Depends, Request

from service.auth.deps import AdminKey, PoliceKey
from service.auth.models import Role
from service.deps import IntId, SessionDep
from service.slogans import service
from service.slogans.models import RejectIn, Slogan, SloganCreate, SloganPublic, SloganUpdate

router = APIRouter()


def load_slogan(slogan_id: IntId, session: SessionDep) -> Slogan:
    return service.get_slogan(session=session, slogan_id=slogan_id)


SloganDep = Annotated[Slogan, Depends(load_slogan)]


@router.post("", status_code=201, response_model=SloganPublic)
def create_slogan(slogan_in: SloganCreate, session: SessionDep, api_key: PoliceKey) -> SloganPublic:
    slogan = service.create_slogan(session=session, slogan_in=slogan_in, author=api_key)
    return service.slogan_public(session=session, slogan=slogan)


@router.get("", response_model=list[SloganPublic])
def list_slogans(session: SessionDep, api_key: PoliceKey) -> list[SloganPublic]:
    issuer = api_key.issuer if api_key.role is Role.police else None
    return [
        service.slogan_public(session=session, slogan=s)
        for s in service.list_slogans(session=session, issuer=issuer)
    ]


@router.get("/{slogan_id}", response_model=SloganPublic)
def get_slogan(slogan: SloganDep, session: SessionDep, api_key: PoliceKey) -> SloganPublic:
    service.check_may_edit(slogan=slogan, api_key=api_key)
    return service.slogan_public(session=session, slogan=slogan)


@router.patch("/{slogan_id}", response_model=SloganPublic)
def update_slogan(
    slogan_in: SloganUpdate, slogan: SloganDep, session: SessionDep, api_key: PoliceKey
) -> SloganPublic:
    """Change the text (back to review), category or validity window of a slogan."""
    service.check_may_edit(slogan=slogan, api_key=api_key)
    slogan = service.update_slogan(session=session, slogan=slogan, slogan_in=slogan_in, editor=api_key)
    return service.slogan_public(session=session, slogan=slogan)


@router.post("/{slogan_id}/withdraw", response_model=SloganPublic)
def withdraw_slogan(slogan: SloganDep, session: SessionDep, api_key: PoliceKey) -> SloganPublic:
    service.check_may_edit(slogan=slogan, api_key=api_key)
    slogan = service.withdraw_slogan(session=session, slogan=slogan)
    return service.slogan_public(session=session, slogan=slogan)


@router.post("/{slogan_id}/approve", response_model=SloganPublic)
def approve_slogan(slogan: SloganDep, session: SessionDep, admin: AdminKey, request: Request) -> SloganPublic:
    slogan = service.review_slogan(session=session, slogan=slogan, approve=True, reviewer=admin)
    assert slogan.id is not None
    request.app.state.synthesizer.submit(slogan.id)
    return service.slogan_public(session=session, slogan=slogan)


@router.post("/{slogan_id}/reject", response_model=SloganPublic)
def reject_slogan(
    reject_in: RejectIn, slogan: SloganDep, session: SessionDep, admin: AdminKey
) -> SloganPublic:
    """Rejects a pending slogan; the reason is stored and shown to its author."""
    slogan = service.review_slogan(
        session=session, slogan=slogan, approve=False, reviewer=admin, reason=reject_in.reason
    )
    return service.slogan_public(session=session, slogan=slogan)
