"""Strict input: every model a client fills (request bodies, query models, batch items) refuses a field it
does not know with a 422 naming it. A typo must not pass silently: a campaign posted with "zone_id" instead
of "zone_ids" would otherwise be stored as targeting everywhere."""

from pydantic import BaseModel, ConfigDict


class StrictInput(BaseModel):
    """The base of every input model (listed first among the bases of SQLModel families, so its config
    wins)."""

    model_config = ConfigDict(extra="forbid")


def unknown_field_message(name: object) -> str:
    return f"unknown field {name!r}"
