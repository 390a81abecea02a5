"""The benchmark's baseline: a bare FastAPI route that validates the same body as POST /v1/events (EventIn)
and answers with a small JSON object. No auth, no database: what the framework alone costs per event."""

from fastapi import FastAPI

from service.events.models import EventIn

app = FastAPI()


@app.post("/v1/events")
async def post_event(event_in: EventIn) -> dict[str, str | None]:
    return {"event_id": event_in.event_id, "zone_id": None}
