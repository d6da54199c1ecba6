"""Atomic file writes: a reader sees the old file or the new one, never a half-written one."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time

# Our temporary files: ".<name>.<8 hex digits>.tmp" beside the target. One left by a killed
# write is removed by the next write to the same folder once it is this old (a younger one
# may belong to a write still going on).
_TEMP_PATTERN = re.compile(r"^\..+\.[0-9a-f]{8}\.tmp$")
STALE_TEMP_SECONDS = 600.0


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` all at once.

    The bytes go to a temporary file in the same directory (so the final rename stays on
    one filesystem), which is flushed and fsynced, then moved over `path` with os.replace.
    On any failure the temporary file is removed and an existing `path` is left untouched;
    an OSError names `path`, never the temporary file. Stale temporary files of ours in the
    folder (left by a write that was killed) are removed first.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        _remove_stale_temps(directory)
        descriptor, temp_path = _create_temp(directory, os.path.basename(target))
    except OSError as error:
        raise _naming(error, target) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_path)
        if isinstance(error, OSError):
            raise _naming(error, target) from None
        raise
    _fsync_directory(directory)


def _naming(error: OSError, target: str) -> OSError:
    """The same kind of error, about `target` (the file the person chose) when it named a
    file (the temporary one); else the error as it is."""
    if error.filename is None:
        return error
    return type(error)(error.errno, error.strerror, target)


def _remove_stale_temps(directory: str) -> None:
    """Delete our temporary files in `directory` older than STALE_TEMP_SECONDS."""
    now = time.time()
    with os.scandir(directory) as entries:
        for entry in entries:
            if not _TEMP_PATTERN.match(entry.name):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file() and now - entry.stat().st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(entry.path)


def _create_temp(directory: str, name: str) -> tuple[int, str]:
    """A new, exclusively created file beside the target.

    Opened with mode 0o666 so the process umask applies as for a plain open() (tempfile's
    0o600 would make exported files private; changing the umask is not thread-safe).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        temp_path = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(temp_path, flags, 0o666), temp_path
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file in {directory}")


def _fsync_directory(directory: str) -> None:
    """Make the rename durable where the platform allows fsync on a directory."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
