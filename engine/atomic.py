"""Atomic file writes: a reader sees the old file or the new one, never a half-written one."""

from __future__ import annotations

import contextlib
import os
import secrets


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` all at once.

    The bytes go to a temporary file in the same directory (so the final rename stays on
    one filesystem), which is flushed and fsynced, then moved over `path` with os.replace.
    On any failure the temporary file is removed and an existing `path` is left untouched.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    descriptor, temp_path = _create_temp(directory, os.path.basename(target))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_path, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_path)
        raise
    _fsync_directory(directory)


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
