import random
from typing import Annotated

from fastapi import APIRouter, Query, Request

from service.auth.deps import AdminKey
from service.campaigns.service import check_campaign, get_campaign
from service.deps import SessionDep
from service.targeting import service
from service.targeting.models import DraftExplainQuery, ExplainQuery, Explanation

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


@router.post("/explain", response_model=Explanation)
def explain_draft(
    query: DraftExplainQuery, session: SessionDep, _admin: AdminKey, request: Request
) -> Explanation:
    """As GET, with `campaign` as if it were saved (a new campaign, id 0, or in place of `campaign_id`):
    what a draft would do, before saving it. The draft is checked as POST /v1/campaigns checks a campaign,
    except that an end in the past is shown (reason `ended`) rather than refused. Nothing is saved."""
    if query.campaign_id is not None:
        get_campaign(session=session, campaign_id=query.campaign_id)  # 404 if there is no such campaign
    check_campaign(session=session, campaign_in=query.campaign, new_end=False)
    snapshot = service.with_draft(snapshot=request.app.state.snapshots.get(), query=query)
    return service.explain_decision(session=session, snapshot=snapshot, query=query, rng=_rng)
