"""Published bank versions in a data directory, read side: verified loading, the
signed state (active and retired versions), listing and migration maps.

Layout under `<data>/banks/`:

    <bank_id>/<version>.yaml        the resolved bank: every code list it uses inlined,
                                    so the file alone defines the version
    <bank_id>/<version>.sig.json    {sha256 of the file bytes, published_by, published_at,
                                     instrument_key, signature (Ed25519, admin key)}
    _migrations/<from>..<to>.yaml   migration maps as the admin wrote them (+ .sig.json)
    state.json                      signed: {active: {instrument_key: "bank_id version"},
                                     retired: ["bank_id version", ...], seq}

A record pins bank id, version and sha256; `resolver_for(root)` opens a
record's bank from here (verified) or from the bundled banks. A version whose
file or signature does not match is refused with `banks.error.altered`.
Publishing, activating and retiring (admin, signed writes) are in `banks`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Self

from ..bank.loader import BankError, QuestionBank, load_bank
from ..bank.migration import LoadedMap, Migrator, load_map, version_key
from ..bank.model import SEMVER_RE
from . import crypto as C
from .errors import BadBankId, BankAltered, NoActiveVersion, StoreError, VersionNotFound, VersionRetired
from .fsutil import read_regular
from .vault import Vault

MAX_BANK_BYTES = 8 << 20  # a bank file is a few hundred kB
MAX_SIGNATURE_BYTES = 64 << 10

FMT = 1
BANK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAPS_DIR = "_migrations"
STATE = "state.json"
SIG_SUFFIX = ".sig.json"

BankResolver = Callable[[str, str, str], QuestionBank]


# ----------------------------------------------------------------------------- helpers


def instrument_key(bank: QuestionBank) -> str:
    """`grund`, `uppfoljning`, `bortfall`, or `spel/grund`, `spel/uppfoljning`."""
    variant = bank.model.variant
    return f"{bank.instrument}/{variant}" if bank.instrument == "spel" and variant else bank.instrument


def ref(bank_id: str, version: str) -> str:
    return f"{bank_id} {version}"


def split_ref(text: str) -> tuple[str, str]:
    bank_id, _, version = text.partition(" ")
    return bank_id, version


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundled_resolver(bank_id: str, version: str, sha256: str) -> QuestionBank:
    """A bank bundled with the program, by id and version (and, if given, exact content)."""
    from ..bank.registry import bundled_banks

    for b in bundled_banks():
        if b.id == bank_id and b.version == version:
            if sha256 and b.sha256 != sha256:
                raise StoreError("store.error.bank_changed", bank=f"{bank_id} {version}")
            return b
    raise StoreError("store.error.bank_missing", bank=f"{bank_id} {version}")


# ----------------------------------------------------------------------------- listing rows


@dataclass
class VersionInfo:
    bank_id: str
    version: str
    instrument_key: str
    source: str  # "bundled" | "published"
    sha256: str
    active: bool = False
    retired: bool = False
    published_by: str | None = None
    published_at: str | None = None
    title_sv: str = ""
    title_en: str = ""
    items: int = 0
    records: int | None = None
    in_progress: int | None = None
    altered: bool = False

    @property
    def ref(self) -> str:
        return ref(self.bank_id, self.version)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class MapInfo:
    source: tuple[str, str]
    target: tuple[str, str]
    sha256: str
    published_by: str | None
    published_at: str | None
    path: Path


# ----------------------------------------------------------------------------- the read side

LOADED: dict[tuple[str, str], QuestionBank] = {}  # (path, sha256) -> bank, verified once per process


class BankVersions:
    """Published and bundled bank versions, as verified reads: what a record's
    pinned bank is, which version new interviews use, and the migration maps."""

    def __init__(self, root: Path, admin_public: Callable[[], list[bytes]] | None = None) -> None:
        self.root = Path(root)
        self.dir = self.root / "banks"
        self.maps_dir = self.dir / MAPS_DIR
        self.state_path = self.dir / STATE
        self.tmp = self.root / "tmp"
        self.lock_path = self.root / "locks" / "bank-store.lock"
        self._admin_public = admin_public
        self._pub: list[bytes] | None = None

    @classmethod
    def for_store(cls, store: Any) -> Self:
        """From an open store (`asi_tui.store.Store`): its data directory and admin key."""
        return cls(store.dir.root, store.vault.admin_publics)

    # ------------------------------------------------------------------ signatures

    def admin_publics(self) -> list[bytes]:
        """The admin keys whose signatures count (two while a key rotation re-signs the files)."""
        if self._pub is None:
            if self._admin_public is not None:
                self._pub = self._admin_public()
            else:
                self._pub = Vault(self.root / "vault.json", self.root / "locks" / "vault.lock", self.tmp).admin_publics()
        return self._pub

    def _verified(self, path: Path, what: str) -> dict[str, Any]:
        """A signed JSON document, or BankAltered."""
        try:
            data = json.loads(read_regular(path, MAX_SIGNATURE_BYTES))
            if not isinstance(data, dict) or data.get("fmt") != FMT:
                raise ValueError
            payload = {k: v for k, v in data.items() if k != "signature"}
            C.verify_any(self.admin_publics(), C.b64d(str(data["signature"])), C.canonical(payload))
        except StoreError:
            raise
        except (OSError, ValueError, KeyError, TypeError, RecursionError, C.CryptoError):
            raise BankAltered(None, what=what) from None
        return data

    # ------------------------------------------------------------------ paths

    def _paths(self, bank_id: str, version: str) -> tuple[Path, Path]:
        if not BANK_ID_RE.match(bank_id) or not SEMVER_RE.match(version):
            raise BadBankId(None, bank=bank_id, version=version)
        d = self.dir / bank_id
        return d / f"{version}.yaml", d / f"{version}{SIG_SUFFIX}"

    def _is_published(self, bank_id: str, version: str) -> bool:
        if not BANK_ID_RE.match(bank_id) or not SEMVER_RE.match(version):
            return False
        yml, sig = self._paths(bank_id, version)
        return yml.exists() or sig.exists()

    def published_refs(self) -> list[tuple[str, str]]:
        out: set[tuple[str, str]] = set()
        if not self.dir.is_dir():
            return []
        for d in self.dir.iterdir():
            if not d.is_dir() or d.name == MAPS_DIR or not BANK_ID_RE.match(d.name):
                continue
            for f in d.iterdir():
                name = f.name
                version = name[: -len(SIG_SUFFIX)] if name.endswith(SIG_SUFFIX) else name[:-5] if name.endswith(".yaml") else None
                if version and SEMVER_RE.match(version):
                    out.add((d.name, version))
        return sorted(out, key=lambda r: (r[0], version_key(r[1])))

    # ------------------------------------------------------------------ loading

    def signature_of(self, bank_id: str, version: str) -> dict[str, Any]:
        _yml, sig = self._paths(bank_id, version)
        data = self._verified(sig, f"{bank_id} {version}")
        if data.get("kind") != "bank" or (data.get("bank"), data.get("version")) != (bank_id, version):
            raise BankAltered(None, what=f"{bank_id} {version}")
        return data

    def load_published(self, bank_id: str, version: str) -> QuestionBank:
        """The published version, after checking its hash and signature."""
        yml, _sig = self._paths(bank_id, version)
        what = ref(bank_id, version)
        meta = self.signature_of(bank_id, version)
        try:
            raw = read_regular(yml, MAX_BANK_BYTES)  # no symlinks, no planted huge file
        except (OSError, StoreError):
            raise BankAltered(None, what=what) from None
        digest = sha256_hex(raw)
        if digest != meta.get("sha256"):
            raise BankAltered(None, what=what)
        hit = LOADED.get((str(yml), digest))
        if hit is not None:
            return hit
        try:
            bank = load_bank(yml, codes_dir=self.dir / ".no-shared-code-lists")
        except BankError:
            raise BankAltered(None, what=what) from None
        # the loader read the file again: it must be the bytes just verified, and self-contained
        if bank.sha256 != digest or (bank.id, bank.version) != (bank_id, version):
            raise BankAltered(None, what=what)
        LOADED[(str(yml), digest)] = bank
        return bank

    def load(self, bank_id: str, version: str, sha256: str = "") -> QuestionBank:
        """A bank version by id: published (verified) first, then bundled.

        With `sha256` (a record's pin) the content must be exactly that."""
        if self._is_published(bank_id, version):
            bank = self.load_published(bank_id, version)
            if sha256 and bank.sha256 != sha256:
                raise StoreError("store.error.bank_changed", bank=ref(bank_id, version))
            return bank
        try:
            return bundled_resolver(bank_id, version, sha256)
        except StoreError as exc:
            if exc.key == "store.error.bank_missing" and not sha256:
                raise VersionNotFound(None, bank=ref(bank_id, version)) from None
            raise

    def resolver(self) -> BankResolver:
        return self.load

    # ------------------------------------------------------------------ state

    def state(self) -> dict[str, Any]:
        """The signed state (active versions, retired ones); empty before the first publish."""
        if not self.state_path.exists():
            if self.published_refs():
                raise BankAltered(None, what=STATE)  # deleting the state must not reset it silently
            return {"fmt": FMT, "seq": 0, "active": {}, "retired": [], "published": []}
        data = self._verified(self.state_path, STATE)
        if not all(isinstance(data.get(k), t) for k, t in (("active", dict), ("retired", list), ("published", list))):
            raise BankAltered(None, what=STATE)
        return data

    def bundled(self) -> tuple[QuestionBank, ...]:
        from ..bank.registry import bundled_banks

        return bundled_banks()

    def _key_of(self, bank_id: str, version: str) -> str | None:
        for b in self.bundled():
            if (b.id, b.version) == (bank_id, version):
                return instrument_key(b)
        if self._is_published(bank_id, version):
            try:
                return str(self.signature_of(bank_id, version).get("instrument_key"))
            except BankAltered:
                return None
        return None

    def active_ref(self, key: str, state: dict[str, Any] | None = None) -> tuple[str, str] | None:
        """(bank id, version) new interviews of instrument `key` use."""
        state = state if state is not None else self.state()
        explicit = state["active"].get(key)
        if explicit:
            return split_ref(explicit)
        retired = set(state["retired"])
        bundled = [b for b in self.bundled() if instrument_key(b) == key and ref(b.id, b.version) not in retired]
        if not bundled:
            return None
        newest = max(bundled, key=lambda b: version_key(b.version))
        return newest.id, newest.version

    def active_bank(self, key: str) -> QuestionBank:
        """The version new interviews of this instrument start on (verified)."""
        state = self.state()
        found = self.active_ref(key, state)
        if found is None:
            raise NoActiveVersion(None, instrument=key)
        if ref(*found) in state["published"] and not self._is_published(*found):
            raise BankAltered(None, what=ref(*found))  # published, then its files were removed
        return self.load(*found)

    def active_banks(self) -> dict[str, QuestionBank]:
        keys = {instrument_key(b) for b in self.bundled()} | set(self.state()["active"])
        return {k: self.active_bank(k) for k in sorted(keys) if self.active_ref(k) is not None}

    def is_retired(self, bank_id: str, version: str) -> bool:
        return ref(bank_id, version) in set(self.state()["retired"])

    def check_new_interview(self, bank: QuestionBank) -> None:
        """Refuse a retired version for a new interview (open ones go on)."""
        if self.is_retired(bank.id, bank.version):
            raise VersionRetired(None, bank=ref(bank.id, bank.version))

    # ------------------------------------------------------------------ listing

    def versions(self, session: Any = None) -> list[VersionInfo]:
        """Every bundled and published version; with a session, how many records use each."""
        state = self.state()
        retired = set(state["retired"])
        rows: list[VersionInfo] = []
        for b in self.bundled():
            rows.append(VersionInfo(b.id, b.version, instrument_key(b), "bundled", b.sha256,
                                    title_sv=b.model.title.sv, title_en=b.model.title.en, items=len(b.items)))
        listed = {split_ref(r) for r in state["published"]}
        for bank_id, version in sorted(set(self.published_refs()) | listed, key=lambda r: (r[0], version_key(r[1]))):
            row = VersionInfo(bank_id, version, "?", "published", "")
            try:
                meta = self.signature_of(bank_id, version)
                b = self.load_published(bank_id, version)
                row.instrument_key, row.sha256 = instrument_key(b), b.sha256
                row.published_by, row.published_at = meta.get("published_by"), meta.get("published_at")
                row.title_sv, row.title_en, row.items = b.model.title.sv, b.model.title.en, len(b.items)
            except (BankAltered, BadBankId):
                row.altered = True
            rows.append(row)
        for key in {r.instrument_key for r in rows}:
            active = self.active_ref(key, state)
            for r in rows:
                if r.instrument_key == key and (r.bank_id, r.version) == active:
                    r.active = True
        for r in rows:
            r.retired = r.ref in retired
        if session is not None:
            counts = session.count_by_bank()  # counts only: any user may see them
            for r in rows:
                r.records, r.in_progress = counts.get((r.bank_id, r.version), (0, 0))
        return sorted(rows, key=lambda r: (r.instrument_key, r.bank_id, version_key(r.version)))

    # ------------------------------------------------------------------ migration

    def maps(self) -> list[tuple[LoadedMap, MapInfo]]:
        """Every published map, verified (BankAltered when one was changed)."""
        out = []
        if not self.maps_dir.is_dir():
            return out
        names = {f.name[: -len(SIG_SUFFIX)] if f.name.endswith(SIG_SUFFIX) else f.stem
                 for f in self.maps_dir.iterdir() if f.name.endswith((".yaml", SIG_SUFFIX))}
        for stem in sorted(names):
            yml, sig = self.maps_dir / f"{stem}.yaml", self.maps_dir / f"{stem}{SIG_SUFFIX}"
            meta = self._verified(sig, yml.name)
            try:
                raw = read_regular(yml, MAX_BANK_BYTES)
            except (OSError, StoreError):
                raise BankAltered(None, what=yml.name) from None
            if meta.get("kind") != "map" or sha256_hex(raw) != meta.get("sha256"):
                raise BankAltered(None, what=yml.name)
            try:
                lmap = load_map(yml)
            except BankError:
                raise BankAltered(None, what=yml.name) from None
            if lmap.sha256 != meta["sha256"] or (ref(*lmap.source), ref(*lmap.target)) != (meta.get("from"), meta.get("to")):
                raise BankAltered(None, what=yml.name)
            out.append((lmap, MapInfo(lmap.source, lmap.target, lmap.sha256, meta.get("published_by"),
                                      meta.get("published_at"), yml)))
        return out

    def migrator(self, targets: dict[str, tuple[str, str]] | None = None) -> Migrator:
        """The `migrate(bank_id, version, answers) -> answers` hook for exports and statistics.

        Answers move along the published maps to the active version of their
        instrument (or to `targets[instrument_key]`)."""
        state = self.state()
        keys = {instrument_key(b) for b in self.bundled()} | set(state["active"])
        goal = {k: r for k in keys if (r := self.active_ref(k, state)) is not None}
        goal.update(targets or {})
        maps = []
        for lmap, _info in self.maps():
            if any(rc.split for rc in lmap.model.recode.values()):
                lmap.validate(self.load(*lmap.source), self.load(*lmap.target))  # compiles the split rules
            maps.append(lmap)
        return Migrator(maps, goal, self._key_of)


def resolver_for(root: Path) -> BankResolver:
    """For `Store(root, resolver=resolver_for(root))`: a record's pinned bank
    from the data directory's published versions (verified), else bundled."""
    return BankVersions(Path(root)).load
