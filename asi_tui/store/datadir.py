"""A data directory: where each part of the store lives, created with safe
permissions, checked before use, and swept of temp files a crash left behind
(storage-design.md 3.1)."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from .errors import NotInitialised, PermissionsTooOpen, UnsupportedFilesystem
from .fsutil import ensure_dir, is_network_fs

TMP_SWEEP_AGE_S = 3600


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
        self.index = self.root / "index.db"
        self.audit = self.root / "audit"
        self.locks = self.root / "locks"
        self.tmp = self.root / "tmp"
        self.docs = self.root / "docs"  # created on first use (docs.DocOps)

    def create(self) -> None:
        old = os.umask(0o007)
        try:
            ensure_dir(self.root)
            os.chmod(self.root, 0o2770)
            for d in (self.records, self.journals, self.audit, self.audit / "pending", self.locks, self.tmp):
                ensure_dir(d)
        finally:
            os.umask(old)

    def check(self) -> None:
        if not self.vault.exists():
            raise NotInitialised(None, path=str(self.root))
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
                if f.stat().st_mtime < cutoff:
                    f.unlink()
            except OSError:
                pass

    def record_path(self, rid: str) -> Path:
        return self.records / f"{rid}.rec"

    def record_files(self) -> list[Path]:
        """Every record snapshot, in file-name (record id) order."""
        return sorted(self.records.glob("*.rec"))

    def lock_path(self, rid: str) -> Path:
        return self.locks / f"{rid}.lock"

    def journals_of(self, rid: str) -> list[Path]:
        """Every journal file of a record, of any generation (`journal.journal_gen`)."""
        return list(self.journals.glob(f"{rid}.*.jnl"))
