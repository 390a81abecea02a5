"""Strict input: every model a client fills (request bodies, query models, batch items) refuses a field it
does not know with a 422 naming it. A typo must not pass silently: a campaign posted with "zone_id" instead
of "zone_ids" would otherwise be stored as targeting everywhere."""

from typing import ClassVar

from pydantic import BaseModel
from sqlmodel._compat import SQLModelConfig  # defined there; sqlmodel exports no public name for it

# Event and bike ids as clients send them: letters, digits and ._:@- only.
ID_PATTERN = r"^[A-Za-z0-9._:@-]+$"


class StrictInput(BaseModel):
    """The base of every input model (listed first among the bases of SQLModel families, so its config
    wins)."""

    # SQLModel's config type (a ConfigDict with its table keys), so that a family deriving from both this
    # and SQLModel has one consistent model_config type.
    model_config: ClassVar[SQLModelConfig] = SQLModelConfig(extra="forbid")


def unknown_field_message(name: object) -> str:
    return f"unknown field {name!r}"
