"""What a lock may be asked to play in the next day, so it can fetch the clips ahead."""

from datetime import datetime, timedelta

from service.auth.models import ApiKey
from service.clips.models import ClipFormat, LockEvent
from service.errors import Forbidden, NotFound
from service.manifest.models import Manifest, ManifestClip
from service.targeting.decision import Snapshot

HORIZON = timedelta(days=1)


def fleet_manifest(
    *, snapshot: Snapshot, fleet_id: str, zone_id: str | None, api_key: ApiKey, now: datetime
) -> Manifest:
    """Every clip, in the fleet's device profile, of every campaign that may apply to this fleet in this
    zone (no zone: outside every zone) at some time in the hour-aligned day ahead: the decision's own
    rules for the place (CompiledCampaign.place_rejection) and the time span (a superset: dayparts and
    caps are not narrowed here). Aligned, so the manifest and its ETag stay the same for an hour unless
    the campaigns change."""
    if fleet_id not in snapshot.fleet_operators:
        raise NotFound(f"no fleet {fleet_id!r}")
    if fleet_id not in api_key.fleet_ids:
        raise Forbidden(f"this key may not read the manifest of fleet {fleet_id!r}")
    zone = None
    if zone_id is not None:
        zone = snapshot.zones.by_id.get(zone_id)
        if zone is None:
            raise NotFound(f"no zone {zone_id!r}")
    profile = snapshot.profile_of(fleet_id)  # the rendition its locks play
    since = now.replace(minute=0, second=0, microsecond=0)
    until = since + HORIZON
    clips: dict[tuple[int, str], ManifestClip] = {}
    for campaign in snapshot.campaigns:
        if not campaign.runs_during(since, until):
            continue
        if campaign.place_rejection(fleet_id, zone, snapshot.region_at(fleet_id, zone)) is not None:
            continue
        for slogan_id in campaign.slogan_ids:
            slogan = snapshot.slogans.get(slogan_id)
            if slogan is None or not slogan.live_during(since, until):
                continue
            for event in sorted(campaign.events):
                info = slogan.clips.get((event, profile))
                if info is not None:
                    clips[(slogan_id, event)] = ManifestClip(
                        slogan_id=slogan_id,
                        event=LockEvent(event),
                        format=ClipFormat(info.format),
                        url=info.url,
                        sha256=info.sha256,
                        size_bytes=info.size_bytes,
                        duration_ms=info.duration_ms,
                    )
    return Manifest(
        fleet_id=fleet_id,
        zone_id=zone_id,
        valid_from=since,
        valid_until=until,
        clips=[clips[key] for key in sorted(clips)],
    )
