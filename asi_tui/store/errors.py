"""Typed store errors; each carries a locale message key for a one-line message."""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    key = "store.error.generic"

    def __init__(self, key: str | None = None, **params: Any) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(self.key)


class WrongPassphrase(StoreError):
    key = "store.error.wrong_passphrase"


class VaultAltered(StoreError):
    key = "store.error.vault_altered"


class VaultOutdated(StoreError):
    """vault.json was written by an earlier version: an admin upgrades it (`asi-tui migrate`)."""

    key = "store.error.vault_outdated"


class KdfRejected(StoreError):
    key = "store.error.kdf_rejected"


class NotInitialised(StoreError):
    key = "store.error.not_initialised"


class AlreadyInitialised(StoreError):
    key = "store.error.already_initialised"


class PermissionsTooOpen(StoreError):
    key = "store.error.permissions"


class UnsupportedFilesystem(StoreError):
    key = "store.error.filesystem"


class RecordLocked(StoreError):
    key = "store.error.record_locked"

    def __init__(self, holder: dict[str, Any]) -> None:
        super().__init__(None, user=holder.get("user", "?"), since=holder.get("since", "?"))
        self.holder = holder


class RecordDamaged(StoreError):
    key = "store.error.record_damaged"


class RecordRolledBack(RecordDamaged):
    key = "store.error.record_rolled_back"


class RecordNotFound(StoreError):
    key = "store.error.record_not_found"


class NewerFormat(StoreError):
    key = "store.error.newer_format"


class StorageIOError(StoreError):
    """A write did not reach the disk (disk full, read-only, no access)."""

    key = "store.error.io"
    replaced = False


class NotAuthorized(StoreError):
    key = "store.error.not_authorized"


class NoUnitKey(NotAuthorized):
    """The record belongs to a unit whose key this user does not hold."""

    key = "store.access.no_unit_key"


class ReadOnly(StoreError):
    key = "store.error.read_only"


class UserError(StoreError):
    key = "store.error.user"


class UnsafePath(StoreError):
    """A file or directory of the store is a symlink, a hard link, a FIFO or a
    device where a plain file (or directory) must be: refused, never followed."""

    key = "store.error.unsafe_path"


class FileTooLarge(StoreError):
    """A store file is larger than any file asi-tui writes (params: path, limit)."""

    key = "store.error.file_too_large"


class FrameTooLarge(StoreError):
    """One journal entry would be larger than a journal frame may be (not saved)."""

    key = "store.error.frame_too_large"


class LockBusy(StoreError):
    """A short store lock (index, audit, vault) stayed taken past the timeout."""

    key = "store.error.busy"


class LockFileMissing(StoreError):
    """A record's lock file was removed outside asi-tui (possible tampering)."""

    key = "store.error.lock_missing"


class LockFileReplaced(StoreError):
    """A record's lock file was replaced while the record was open (possible tampering)."""

    key = "store.error.lock_replaced"


class DirNotEmpty(StoreError):
    key = "store.error.dir_not_empty"


class DirNotUsable(StoreError):
    """`init` on an existing directory whose owner or mode it may not change."""

    key = "store.error.dir_not_usable"


class Throttled(StoreError):
    """Too many wrong passphrases for this user: wait before the next attempt."""

    key = "store.error.throttled"


class WeakPassphrase(UserError):
    key = "store.error.passphrase_weak"


# ----------------------------------------------------------------------------- published bank versions


class BankStoreError(StoreError):
    key = "banks.error.generic"


class BankAltered(BankStoreError):
    """A published file does not match its signed hash, or a signature does not verify."""

    key = "banks.error.altered"


class VersionExists(BankStoreError):
    key = "banks.error.exists"


class VersionNotFound(BankStoreError):
    key = "banks.error.not_found"


class VersionRetired(BankStoreError):
    key = "banks.error.retired"


class RetireActive(BankStoreError):
    key = "banks.error.retire_active"


class NoActiveVersion(BankStoreError):
    key = "banks.error.no_active"


class BadBankId(BankStoreError):
    key = "banks.error.bad_id"


class MapExists(BankStoreError):
    key = "banks.error.map_exists"
