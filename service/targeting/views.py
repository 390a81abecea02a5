import random
from typing import Annotated

from fastapi import APIRouter, Query, Request

from service.auth.deps import AdminKey
from service.deps import SessionDep
from service.targeting import service
from service.targeting.models import ExplainQuery, Explanation

router = APIRouter()
_rng = random.SystemRandom()


@router.get("/explain", response_model=Explanation)
def explain(
    session: SessionDep, _admin: AdminKey, request: Request, query: Annotated[ExplainQuery, Query()]
) -> Explanation:
    """The answer an event would get now (or `at`), and for every campaign why it does or does not play.
    Nothing is logged and the bike's state is left as it is."""
    snapshot = request.app.state.snapshots.get()
    return service.explain_decision(session=session, snapshot=snapshot, query=query, rng=_rng)
