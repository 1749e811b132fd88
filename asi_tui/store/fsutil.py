"""Files of the store: durable writes (write temp, fsync, rename, fsync the
directory) and opens that never follow a symlink.

Group members of a shared data directory can plant symlinks, hard links and
FIFOs where the store expects its own files. Every open here goes through the
parent directory opened with O_NOFOLLOW and the file itself with O_NOFOLLOW,
then checks that it is a regular file (and, for files written in place, that
it has no second name), so the store never writes through a link to a file
outside the data directory and never blocks on a FIFO.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

from . import faults
from .errors import FileTooLarge, StorageIOError, UnsafePath

FILE_MODE = 0o660
DIR_MODE = 0o2770
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC
# errno values an O_NOFOLLOW open gives for a symlink, a directory or a FIFO
_NOT_A_FILE = {errno.ELOOP, errno.ENOTDIR, errno.EISDIR, errno.ENXIO, errno.EMLINK}


def io_error(exc: OSError) -> StorageIOError:
    reason = {
        errno.ENOSPC: "disk_full",
        errno.EDQUOT: "disk_full",
        errno.EROFS: "read_only_fs",
        errno.EACCES: "no_access",
        errno.EPERM: "no_access",
    }.get(exc.errno or 0, "io")
    return StorageIOError(f"store.error.{reason}")


def open_dir(path: Path) -> int:
    """A descriptor of the directory `path` itself; UnsafePath if it is a symlink or no directory."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        if exc.errno in _NOT_A_FILE:
            raise UnsafePath(None, path=str(path)) from None
        raise


def open_regular(path: Path, flags: int = os.O_RDONLY, mode: int = FILE_MODE, single_link: bool = False) -> int:
    """Open `path` only if it is a regular file reached without any symlink in
    its last two components; UnsafePath (naming it) otherwise.

    `single_link` also refuses a file with a second name (a hard link), for
    files written in place: writing would change the other name's content.
    FileNotFoundError is passed on for the caller to decide.
    """
    dfd = open_dir(path.parent)
    try:
        fd = os.open(path.name, flags | _NOFOLLOW | os.O_NONBLOCK, mode, dir_fd=dfd)
    except OSError as exc:
        if exc.errno in _NOT_A_FILE:
            raise UnsafePath(None, path=str(path)) from None
        raise
    finally:
        os.close(dfd)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or (single_link and st.st_nlink != 1):
        os.close(fd)
        raise UnsafePath(None, path=str(path))
    return fd


def read_regular(path: Path, limit: int) -> bytes:
    """The content of the regular file `path` (see `open_regular`), at most
    `limit` bytes: FileTooLarge beyond that, so a planted huge file cannot
    exhaust memory."""
    fd = open_regular(path)
    try:
        if os.fstat(fd).st_size > limit:
            raise FileTooLarge(None, path=str(path), limit=limit)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            total += len(chunk)
            if total > limit:  # grew while we read
                raise FileTooLarge(None, path=str(path), limit=limit)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def check_dir(path: Path) -> None:
    """UnsafePath unless `path` is a directory itself (not a symlink to one); missing is fine."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePath(None, path=str(path))


def fsync_dir(path: Path) -> None:
    fd = open_dir(path)
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
    """Replace `target` with `data` so that a crash leaves the old or the new file.

    Both directories are opened without following symlinks and the rename goes
    through their descriptors: a symlink at `target` is replaced, never followed.
    """
    tmp_name = f".{target.name}.{secrets.token_hex(6)}.tmp"
    replaced = False
    tmp_dfd = open_dir(tmp_dir)
    try:
        dst_dfd = open_dir(target.parent)
    except BaseException:
        os.close(tmp_dfd)
        raise
    try:
        fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE, dir_fd=tmp_dfd)
        try:
            write_all(fd, data)
            faults.point("atomic.after_write_before_fsync")
            os.fsync(fd)
        finally:
            os.close(fd)
        faults.point("atomic.after_fsync_before_replace")
        os.replace(tmp_name, target.name, src_dir_fd=tmp_dfd, dst_dir_fd=dst_dfd)
        replaced = True
        faults.point("atomic.after_replace_before_dir_fsync")
        os.fsync(dst_dfd)
    except OSError as exc:
        try:
            os.unlink(tmp_name, dir_fd=tmp_dfd)
        except OSError:
            pass
        err = io_error(exc)
        err.replaced = replaced  # the new content is in place, only its durability is unknown
        raise err from None
    finally:
        os.close(tmp_dfd)
        os.close(dst_dfd)


def ensure_dir(path: Path) -> None:
    """Create `path` (and parents) if missing; UnsafePath if it is a symlink or no directory."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    check_dir(path)


def make_dir(path: Path, mode: int = DIR_MODE) -> None:
    """Create the directory `path` with exactly `mode` (umask aside); an existing
    one is left as it is. Never chmods through a symlink."""
    try:
        path.mkdir(mode=mode)
        created = True
    except FileExistsError:
        created = False
    fd = open_dir(path)
    try:
        if created:
            os.fchmod(fd, mode)
    finally:
        os.close(fd)


def shred_and_unlink(paths: list[Path]) -> None:
    """Overwrite each file with random bytes, fsync, then remove it.

    Every file is opened (and checked: regular, one name, no symlink) before
    the first byte is overwritten, so a planted link stops the whole deletion
    before anything is destroyed.
    """
    fds: list[int] = []
    try:
        for path in paths:
            fds.append(open_regular(path, os.O_WRONLY, single_link=True))
        for path, fd in zip(paths, fds):
            size = os.fstat(fd).st_size
            os.lseek(fd, 0, os.SEEK_SET)
            while size > 0:
                n = min(size, 1 << 20)
                write_all(fd, os.urandom(n))
                size -= n
            os.fsync(fd)
        for path in paths:
            dfd = open_dir(path.parent)
            try:
                os.unlink(path.name, dir_fd=dfd)
            finally:
                os.close(dfd)
    finally:
        for fd in fds:
            os.close(fd)


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
