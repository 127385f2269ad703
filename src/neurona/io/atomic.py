"""Atomic file writes: readers see the old file or the new one, never half of either.

Checkpoints and report figures are written this way, so a crash (or a full disk) mid-save leaves the
previous file whole and no temporary file behind.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the new one, never half of either.

    The bytes go to a temporary file in the same folder (same file system, so the rename is atomic),
    are flushed and fsynced, and the temporary file is moved over ``path`` with ``os.replace``. On any
    failure the temporary file is removed and the old ``path`` is left as it was.

    Examples
    --------
    >>> atomic_write_bytes("runs/demo/notes.txt", b"hello")  # doctest: +SKIP
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    # os.open with 0o666 lets the umask decide the permissions, as for an ordinary new file
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        if e.filename is None and e.errno is not None:  # a full disk says "No space left on device" without naming the file
            raise OSError(e.errno, e.strerror, str(path)) from e
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
