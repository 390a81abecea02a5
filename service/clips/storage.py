"""Content-addressed clip files under the data dir: <clips>/<sha[:2]>/<sha>.<format>."""

import os
import re
import tempfile
from pathlib import Path

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def clip_path(clips_dir: Path, sha256: str, fmt: str) -> Path:
    if not SHA256_HEX.match(sha256):
        raise ValueError("not a sha256 hex digest")
    return clips_dir / sha256[:2] / f"{sha256}.{fmt}"


def store_clip(clips_dir: Path, sha256: str, fmt: str, data: bytes) -> Path:
    path = clip_path(clips_dir, sha256, fmt)
    if not path.exists():
        write_atomic(path, data)
    return path


def write_atomic(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Temp file, fsync, rename: a reader never sees half a file, and a crash leaves no 0-byte one.
    `durable=False` skips the fsync, for caches whose loss costs only a re-synthesis."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
