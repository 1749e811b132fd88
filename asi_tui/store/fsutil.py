"""Durable file writes: write temp, fsync, rename, fsync the directory."""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from . import faults
from .errors import StorageIOError

FILE_MODE = 0o660
DIR_MODE = 0o2770


def io_error(exc: OSError) -> StorageIOError:
    reason = {
        errno.ENOSPC: "disk_full",
        errno.EDQUOT: "disk_full",
        errno.EROFS: "read_only_fs",
        errno.EACCES: "no_access",
        errno.EPERM: "no_access",
    }.get(exc.errno or 0, "io")
    return StorageIOError(f"store.error.{reason}")


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def atomic_write(target: Path, data: bytes, tmp_dir: Path) -> None:
    """Replace `target` with `data` so that a crash leaves the old or the new file."""
    tmp = tmp_dir / f".{target.name}.{secrets.token_hex(6)}.tmp"
    replaced = False
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            write_all(fd, data)
            faults.point("atomic.after_write_before_fsync")
            os.fsync(fd)
        finally:
            os.close(fd)
        faults.point("atomic.after_fsync_before_replace")
        os.replace(tmp, target)
        replaced = True
        faults.point("atomic.after_replace_before_dir_fsync")
        fsync_dir(target.parent)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        err = io_error(exc)
        err.replaced = replaced  # the new content is in place, only its durability is unknown
        raise err from None


def ensure_dir(path: Path) -> None:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


_NETWORK_FS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs"}


def filesystem_type(path: Path) -> str | None:
    """The mount type of `path` from /proc/mounts (None when unknown)."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, best_type = "", None
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(mount_point) > len(best):
            best, best_type = mount_point, parts[2]
    return best_type


def is_network_fs(path: Path) -> bool:
    return filesystem_type(path) in _NETWORK_FS
