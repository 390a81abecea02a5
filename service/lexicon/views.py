from fastapi import APIRouter

from service.auth.deps import AdminKey, PoliceKey
from service.deps import SessionDep
from service.lexicon import service
from service.lexicon.models import Lexicon

router = APIRouter()


@router.get("", response_model=Lexicon)
def get_lexicon(session: SessionDep, _key: PoliceKey) -> Lexicon:
    """How Latin words in slogans are spoken."""
    return service.get_lexicon(session=session)


@router.put("", response_model=Lexicon)
def put_lexicon(lexicon: Lexicon, session: SessionDep, _admin: AdminKey) -> Lexicon:
    """Replace the whole lexicon. New syntheses use it; existing clips are not remade."""
    return service.replace_lexicon(session=session, lexicon=lexicon)
