"""The one signal that what the lock-event decision reads has changed: `bump_version`, called in the
transaction of every such change (slogans, clips, zones, fleets, campaigns). Each worker's snapshot
(service.targeting.snapshot.SnapshotHolder) sees a bump committed by its own process at once, and one
committed by another process when it next reads the version (at most every
EBIKE_VOICE_SNAPSHOT_CHECK_INTERVAL_S). Its own module, so every room that changes what the decision reads
can import it without importing the targeting room that reads those rooms."""

from sqlalchemy import event, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, SQLModel

_BUMPED = "snapshot_version_bumped"


class SnapshotVersion(SQLModel, table=True):
    """Bumped by every change the lock-event decision depends on, so each worker knows to recompile."""

    __tablename__ = "snapshot_version"

    id: int = Field(default=1, primary_key=True)
    version: int = 0


class _Committed:
    """How many bumps this process has committed."""

    count = 0


def bump_version(session: Session) -> None:
    """Mark, inside the caller's transaction, that what the decision reads has changed."""
    result = session.exec(update(SnapshotVersion).values(version=SnapshotVersion.version + 1))
    if result.rowcount == 0:
        session.add(SnapshotVersion(id=1, version=1))
    session.info[_BUMPED] = True


def read_version(session: Session) -> int:
    row = session.get(SnapshotVersion, 1)
    return row.version if row else 0


def committed_here() -> int:
    """Bumps committed by this process so far: a holder that saw fewer recompiles at once."""
    return _Committed.count


@event.listens_for(OrmSession, "after_commit")
def _count_commit(session: OrmSession) -> None:
    if session.info.pop(_BUMPED, False):
        _Committed.count += 1


@event.listens_for(OrmSession, "after_rollback")
def _forget_rollback(session: OrmSession) -> None:
    session.info.pop(_BUMPED, None)
