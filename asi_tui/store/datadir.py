"""A data directory: where each part of the store lives, created with safe
permissions, checked before use, and swept of temp files a crash left behind
(storage-design.md 3.1)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from .errors import DirNotEmpty, DirNotUsable, NotInitialised, PermissionsTooOpen, UnsafePath, UnsupportedFilesystem
from .fsutil import check_dir, ensure_dir, is_network_fs, make_dir

TMP_SWEEP_AGE_S = 3600
JOURNAL_LOOKAHEAD = 64  # `DataDir.journals_above`
# What an `init` that stopped before writing the vault leaves behind: an
# existing directory holding only this is taken as ours.
_SKELETON_FILES = {"locks": ".lock", "tmp": ".tmp"}


def default_data_dir() -> Path:
    env = os.environ.get("ASI_TUI_DATA")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("asi-tui", appauthor=False))


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.vault = self.root / "vault.json"
        self.records = self.root / "records"
        self.journals = self.root / "journals"
        self.index = self.root / "index.db"  # the one-file index of earlier versions (read, then removed)
        self.index_dir = self.root / "index"  # one partition per compartment (store/segments.py)
        self.audit = self.root / "audit"
        self.locks = self.root / "locks"
        self.tmp = self.root / "tmp"
        self.docs = self.root / "docs"  # created on first use (docs.DocOps)
        self.throttle = self.root / "throttle"  # wrong-passphrase delays (throttle.Throttle)

    @property
    def subdirs(self) -> tuple[Path, ...]:
        return (self.records, self.journals, self.audit, self.audit / "pending", self.locks, self.tmp, self.throttle)

    def create(self) -> None:
        """Create the layout. A new directory gets mode 2770 (group-shared
        mode; a captive service account's 0700 directory is kept as it is).
        An existing directory is used only when it is empty (or holds what an
        interrupted init left) and its owner and mode are already right: init
        never chmods a directory it did not create (`DirNotEmpty`, `DirNotUsable`)."""
        old = os.umask(0o007)
        try:
            if os.path.lexists(self.root):
                self._check_existing_root()
            else:
                self.root.parent.mkdir(parents=True, exist_ok=True)
                make_dir(self.root, 0o2770)
            for d in self.subdirs:
                ensure_dir(d)
        finally:
            os.umask(old)

    def _check_existing_root(self) -> None:
        path = str(self.root)
        try:
            st = os.stat(self.root)
        except OSError:
            raise DirNotEmpty(None, path=path) from None
        if not stat.S_ISDIR(st.st_mode) or not self._holds_only_skeleton():
            raise DirNotEmpty(None, path=path)
        mode = stat.S_IMODE(st.st_mode)
        captive = st.st_uid == os.geteuid() and mode & 0o777 == 0o700
        group = (
            mode & 0o007 == 0
            and mode & 0o070 == 0o070
            and bool(mode & stat.S_ISGID)
            and (st.st_uid == os.geteuid() and mode & 0o700 == 0o700 or st.st_gid in {os.getegid(), *os.getgroups()})
        )
        if captive or group:
            return
        me = _login()
        if st.st_uid == os.geteuid():
            fix = f"chmod 0700 {path}"
        else:
            fix = f"chown {me} {path} && chmod 0700 {path}"
        raise DirNotUsable(None, path=path, owner=_owner(st.st_uid), group=_group(st.st_gid), mode=f"{mode:04o}", fix=fix)

    def _holds_only_skeleton(self) -> bool:
        names = {d.name for d in self.subdirs if d.parent == self.root} | {"docs"}
        for entry in os.scandir(self.root):
            if entry.name not in names or not entry.is_dir(follow_symlinks=False):
                return False
            suffix = _SKELETON_FILES.get(entry.name)
            for sub in os.scandir(entry.path):
                if entry.name == "audit" and sub.name == "pending" and sub.is_dir(follow_symlinks=False):
                    if any(os.scandir(sub.path)):
                        return False
                elif suffix is None or not sub.name.endswith(suffix) or not sub.is_file(follow_symlinks=False):
                    return False
        return True

    def check(self) -> None:
        """Refuse a directory that is not ours to use: not initialised, a
        symlink where one of our directories belongs, open to other users,
        or on a network file system. Group (2770) and captive (0700) modes pass."""
        if not self.vault.exists():
            raise NotInitialised(None, path=str(self.root))
        for d in (*self.subdirs, self.docs):
            check_dir(d)
        if self.docs.is_dir():
            for d in self.docs.iterdir():
                check_dir(d)
        if not stat.S_ISREG(os.lstat(self.vault).st_mode):
            raise UnsafePath(None, path=str(self.vault))
        for p in (self.root, self.records, self.journals, self.audit, self.audit / "pending", self.locks, self.tmp, self.vault):
            try:
                mode = p.stat().st_mode
            except FileNotFoundError:
                continue
            if mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH):
                raise PermissionsTooOpen(None, path=str(self.root))
        if is_network_fs(self.root):
            raise UnsupportedFilesystem(None, path=str(self.root))

    def sweep_tmp(self) -> None:
        """Remove temp files left by a crash (old enough not to be in use)."""
        cutoff = time.time() - TMP_SWEEP_AGE_S
        for f in self.tmp.glob("*.tmp"):
            try:
                if f.lstat().st_mtime < cutoff:
                    f.unlink()
            except OSError:
                pass

    def record_path(self, rid: str) -> Path:
        return self.records / f"{rid}.rec"

    def record_files(self) -> list[Path]:
        """Every record snapshot, in file-name (record id) order."""
        try:
            names = os.listdir(self.records)
        except FileNotFoundError:
            return []
        return [self.records / n for n in sorted(n for n in names if n.endswith(".rec"))]

    def journaled(self) -> set[str]:
        """The record ids that have a journal file of any generation (one
        listing: for `index rebuild`, which would otherwise probe per record)."""
        try:
            names = os.listdir(self.journals)
        except FileNotFoundError:
            return set()
        return {n.split(".", 1)[0] for n in names if n.endswith(".jnl")}

    def lock_path(self, rid: str) -> Path:
        return self.locks / f"{rid}.lock"

    def journals_of(self, rid: str) -> list[Path]:
        """Every journal file of a record, of any generation (`journal.journal_gen`).

        Lists the whole journal directory: for deleting a record only. Everyday
        paths probe by name (`journals_below`, `journals_above`), whose cost does
        not grow with the number of records."""
        return list(self.journals.glob(f"{rid}.*.jnl"))

    def journals_below(self, rid: str, gen: int) -> list[Path]:
        """The record's journals of generations 0 .. gen-1 that exist, oldest first."""
        return self._probe(rid, range(max(gen, 0)))

    def journals_above(self, rid: str, gen: int) -> list[Path]:
        """The record's journals of the next JOURNAL_LOOKAHEAD generations after `gen`.

        A journal newer than the snapshot means the snapshot was put back
        (`RecordRolledBack`). Generations grow one at a time, so a gap of more
        than the look-ahead is no real journal; a copy put back with its later
        journals deleted too is caught by the high-water marks instead."""
        return self._probe(rid, range(gen + 1, gen + 1 + JOURNAL_LOOKAHEAD))

    def _probe(self, rid: str, gens: range) -> list[Path]:
        base = os.fspath(self.journals)
        return [self.journals / name for g in gens if os.path.lexists(f"{base}/{(name := f'{rid}.{g}.jnl')}")]


def _login() -> str:
    try:
        import getpass

        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.geteuid())


def _owner(uid: int) -> str:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return str(uid)


def _group(gid: int) -> str:
    try:
        import grp

        return grp.getgrgid(gid).gr_name
    except (KeyError, ImportError):
        return str(gid)
