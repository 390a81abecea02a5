"""The views' shared FastAPI dependencies: a database session per request, integer ids in paths.
(Not in service.db: the event writer process uses that module and has no FastAPI.)"""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlmodel import Session

from service.db import MAX_INT_ID


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
IntId = Annotated[int, Path(ge=1, le=MAX_INT_ID)]
