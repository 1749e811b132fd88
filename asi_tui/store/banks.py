"""Published bank versions in a data directory: immutable, signed, verified on every load.

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
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

from ..bank.lint import locale_coverage
from ..bank.loader import BankError, QuestionBank, load_bank
from ..bank.migration import LoadedMap, MapReport, Migrator, load_map, version_key
from ..bank.model import SEMVER_RE
from . import crypto as C
from .errors import StoreError
from .fsutil import atomic_write, ensure_dir
from .locks import exclusive
from .vault import Vault

FMT = 1
BANK_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAPS_DIR = "_migrations"
STATE = "state.json"
SIG_SUFFIX = ".sig.json"

BankResolver = Callable[[str, str, str], QuestionBank]


# ----------------------------------------------------------------------------- errors


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


# ----------------------------------------------------------------------------- helpers


def instrument_key(bank: QuestionBank) -> str:
    """`grund`, `uppfoljning`, `bortfall`, or `spel/grund`, `spel/uppfoljning`."""
    variant = bank.model.variant
    return f"{bank.instrument}/{variant}" if bank.instrument == "spel" and variant else bank.instrument


def ref(bank_id: str, version: str) -> str:
    return f"{bank_id} {version}"


def _split_ref(text: str) -> tuple[str, str]:
    bank_id, _, version = text.partition(" ")
    return bank_id, version


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def resolved_yaml(bank: QuestionBank) -> bytes:
    """The bank as one self-contained YAML document (shared code lists inlined)."""
    data = bank.model.model_dump(mode="json", by_alias=True, exclude_none=True)
    local = [cl.id for cl in bank.model.codelists]
    shared = sorted(n for n in bank.codelists if n not in local)
    data["codelists"] = [bank.codelists[n].model_dump(mode="json", exclude_none=True) for n in local + shared]
    for section in data["sections"]:
        for item in section["items"]:
            for empty in ("checks", "alerts"):
                if item.get(empty) == []:
                    del item[empty]
            if item.get("critical") is False:
                del item["critical"]
    ordered = {k: data[k] for k in ("id", "version", "instrument", "variant", "title", "description", "age_item",
                                    "partial_when", "codelists", "messages", "sections") if k in data}
    header = (
        f"# {bank.id} {bank.version}: published by asi-tui (resolved: every code list it uses is inlined).\n"
        "# Do not edit: a published version is immutable, and a changed file is refused.\n"
        "# To change the bank, copy this file, raise `version` and publish the copy.\n"
    )
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(ordered, Dumper=dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=False)
    return (header + body).encode("utf-8")


def _same_content(a: QuestionBank, b: QuestionBank) -> bool:
    return (
        a.model.model_dump(exclude={"codelists"}) == b.model.model_dump(exclude={"codelists"})
        and {k: v.model_dump() for k, v in a.codelists.items()} == {k: v.model_dump() for k, v in b.codelists.items()}
    )


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


# ----------------------------------------------------------------------------- the store

_LOADED: dict[tuple[str, str], QuestionBank] = {}


class BankStore:
    """Published bank versions, the active version per instrument, and migration maps."""

    def __init__(self, root: Path, admin_public: Callable[[], bytes] | None = None) -> None:
        self.root = Path(root)
        self.dir = self.root / "banks"
        self.maps_dir = self.dir / MAPS_DIR
        self.state_path = self.dir / STATE
        self.tmp = self.root / "tmp"
        self.lock_path = self.root / "locks" / "bank-store.lock"
        self._admin_public = admin_public
        self._pub: bytes | None = None

    @classmethod
    def for_store(cls, store: Any) -> "BankStore":
        """From an open `asi_tui.store.service.Store`."""
        return cls(store.dir.root, store.vault.admin_public)

    # ------------------------------------------------------------------ keys and signatures

    def admin_public(self) -> bytes:
        if self._pub is None:
            if self._admin_public is not None:
                self._pub = self._admin_public()
            else:
                self._pub = Vault(self.root / "vault.json", self.root / "locks" / "vault.lock", self.tmp).admin_public()
        return self._pub

    @staticmethod
    def _sign(session: Any, payload: dict[str, Any]) -> dict[str, Any]:
        sk = session.keys.admin_sk
        if sk is None:
            session.require_admin()
            raise BankStoreError("store.error.not_authorized")
        return {**payload, "signature": C.b64e(C.sign(sk, C.canonical(payload)))}

    def _verified(self, path: Path, what: str) -> dict[str, Any]:
        """A signed JSON document, or BankAltered."""
        try:
            data = json.loads(path.read_bytes())
            if not isinstance(data, dict) or data.get("fmt") != FMT:
                raise ValueError
            payload = {k: v for k, v in data.items() if k != "signature"}
            C.verify(self.admin_public(), C.b64d(str(data["signature"])), C.canonical(payload))
        except StoreError:
            raise
        except (OSError, ValueError, KeyError, TypeError, C.CryptoError):
            raise BankAltered(None, what=what) from None
        return data

    def _write_json(self, path: Path, data: dict[str, Any]) -> None:
        atomic_write(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"), self.tmp)

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
            raw = yml.read_bytes()
        except OSError:
            raise BankAltered(None, what=what) from None
        digest = _sha(raw)
        if digest != meta.get("sha256"):
            raise BankAltered(None, what=what)
        hit = _LOADED.get((str(yml), digest))
        if hit is not None:
            return hit
        try:
            bank = load_bank(yml, codes_dir=self.dir / ".no-shared-code-lists")
        except BankError:
            raise BankAltered(None, what=what) from None
        # the loader read the file again: it must be the bytes just verified, and self-contained
        if bank.sha256 != digest or (bank.id, bank.version) != (bank_id, version):
            raise BankAltered(None, what=what)
        _LOADED[(str(yml), digest)] = bank
        return bank

    def load(self, bank_id: str, version: str, sha256: str = "") -> QuestionBank:
        """A bank version by id: published (verified) first, then bundled.

        With `sha256` (a record's pin) the content must be exactly that."""
        if self._is_published(bank_id, version):
            bank = self.load_published(bank_id, version)
            if sha256 and bank.sha256 != sha256:
                raise StoreError("store.error.bank_changed", bank=ref(bank_id, version))
            return bank
        from .service import bundled_resolver

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

    def _save_state(self, session: Any, state: dict[str, Any]) -> None:
        payload = {
            "fmt": FMT,
            "seq": int(state.get("seq", 0)) + 1,
            "active": dict(sorted(state["active"].items())),
            "retired": sorted(set(state["retired"])),
            "published": sorted(set(state.get("published", []))),
            "by": session.user.id,
            "at": _now(),
        }
        ensure_dir(self.dir)
        self._write_json(self.state_path, self._sign(session, payload))

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
            return _split_ref(explicit)
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

    # ------------------------------------------------------------------ admin operations

    def publish(
        self,
        session: Any,
        path: Path,
        activate: bool = True,
        maps: Iterable[Path] = (),
    ) -> tuple[VersionInfo, list[MapReport]]:
        """Validate `path`, copy it (resolved) into the store as an immutable,
        signed version, and (by default) make it active for its instrument.

        Maps given with it are validated before anything is written.
        Raises BankError (problems with file:line) for a broken bank or map."""
        session.require_admin()
        src = load_bank(Path(path))  # BankError: shown with file:line
        missing, _suspicious = locale_coverage(src)
        if missing:
            raise BankError(missing)
        bank_id, version = src.id, src.version
        yml, sig = self._paths(bank_id, version)
        loaded_maps = [self._check_map(load_map(m), new=src) for m in maps]
        reports = [r for _, r in loaded_maps]
        for lmap, _report in loaded_maps:
            if self._map_paths(lmap.source, lmap.target)[1].exists():
                raise MapExists(None, source=ref(*lmap.source), target=ref(*lmap.target))
        ensure_dir(self.root / "locks")
        with exclusive(self.lock_path):
            if any((b.id, b.version) == (bank_id, version) for b in self.bundled()):
                raise VersionExists("banks.error.exists_bundled", bank=ref(bank_id, version))
            if sig.exists():
                raise VersionExists(None, bank=ref(bank_id, version))
            if yml.exists() and session.list_records(bank_id=bank_id, bank_version=version):
                raise BankAltered(None, what=ref(bank_id, version))  # a file without signature, and records use it
            state = self.state()
            ensure_dir(self.dir)
            ensure_dir(yml.parent)
            data = resolved_yaml(src)
            digest = _sha(data)
            atomic_write(yml, data, self.tmp)
            try:
                check = load_bank(yml, codes_dir=self.dir / ".no-shared-code-lists")
                if not _same_content(check, src) or check.sha256 != digest:
                    raise RuntimeError("the resolved bank differs from its source")
            except BaseException:
                yml.unlink(missing_ok=True)
                raise
            _LOADED[(str(yml), digest)] = check
            key = instrument_key(src)
            meta = {
                "fmt": FMT,
                "kind": "bank",
                "bank": bank_id,
                "version": version,
                "instrument_key": key,
                "sha256": digest,
                "source_sha256": src.sha256,
                "source_name": Path(path).name,
                "published_by": session.user.id,
                "published_at": _now(),
            }
            self._write_json(sig, self._sign(session, meta))
            state["published"] = [*state.get("published", []), ref(bank_id, version)]
            if activate:
                state["active"][key] = ref(bank_id, version)
                state["retired"] = [r for r in state["retired"] if r != ref(bank_id, version)]
            self._save_state(session, state)
            session.log("bank-publish", detail={"bank": bank_id, "version": version, "sha256": digest,
                                                "instrument": key, "activated": activate})
        for lmap, _report in loaded_maps:
            self._store_map(session, lmap, replace=False)
        info = VersionInfo(bank_id, version, key, "published", digest, active=activate,
                           published_by=meta["published_by"], published_at=meta["published_at"],
                           title_sv=src.model.title.sv, title_en=src.model.title.en, items=len(src.items))
        return info, reports

    def _check_map(self, lmap: LoadedMap, new: QuestionBank | None = None,
                   old: QuestionBank | None = None) -> tuple[LoadedMap, MapReport]:
        src_id, src_ver = lmap.source
        dst_id, dst_ver = lmap.target
        old = old or self._load_or_problem(lmap, src_id, src_ver, "from")
        if new is None or (new.id, new.version) != (dst_id, dst_ver):
            new = self._load_or_problem(lmap, dst_id, dst_ver, "to")
        report = lmap.validate(old, new)
        if report.errors:
            raise BankError(report.errors)
        return lmap, report

    def _load_or_problem(self, lmap: LoadedMap, bank_id: str, version: str, where: str) -> QuestionBank:
        from ..bank.loader import Problem

        try:
            return self.load(bank_id, version)
        except (VersionNotFound, BadBankId):
            raise BankError([Problem(str(lmap.path), lmap.line(where), "-",
                                     f"no bank {bank_id} {version} is bundled or published")]) from None

    def publish_map(self, session: Any, path: Path, replace: bool = False) -> tuple[MapInfo, MapReport]:
        """Validate a migration map against both (published or bundled) banks and store it signed."""
        session.require_admin()
        lmap, report = self._check_map(load_map(Path(path)))
        info = self._store_map(session, lmap, replace)
        return info, report

    def _map_paths(self, source: tuple[str, str], target: tuple[str, str]) -> tuple[Path, Path]:
        for bank_id, version in (source, target):
            self._paths(bank_id, version)  # validates the names
        stem = f"{source[0]}@{source[1]}..{target[0]}@{target[1]}"
        return self.maps_dir / f"{stem}.yaml", self.maps_dir / f"{stem}{SIG_SUFFIX}"

    def _store_map(self, session: Any, lmap: LoadedMap, replace: bool) -> MapInfo:
        yml, sig = self._map_paths(lmap.source, lmap.target)
        assert lmap.src is not None
        raw = lmap.src.raw
        with exclusive(self.lock_path):
            previous = None
            if sig.exists():
                if not replace:
                    raise MapExists(None, source=ref(*lmap.source), target=ref(*lmap.target))
                previous = self._verified(sig, yml.name).get("sha256")
            ensure_dir(self.maps_dir)
            atomic_write(yml, raw, self.tmp)
            meta = {
                "fmt": FMT,
                "kind": "map",
                "from": ref(*lmap.source),
                "to": ref(*lmap.target),
                "sha256": _sha(raw),
                "published_by": session.user.id,
                "published_at": _now(),
            }
            self._write_json(sig, self._sign(session, meta))
            session.log("bank-map-publish", detail={"from": meta["from"], "to": meta["to"], "sha256": meta["sha256"],
                                                    "replaced": previous})
        return MapInfo(lmap.source, lmap.target, meta["sha256"], session.user.id, meta["published_at"], yml)

    def activate(self, session: Any, bank_id: str, version: str) -> QuestionBank:
        """Make a (published or bundled) version the one new interviews use; un-retires it."""
        session.require_admin()
        bank = self.load(bank_id, version)
        key = instrument_key(bank)
        with exclusive(self._lock()):
            state = self.state()
            state["active"][key] = ref(bank_id, version)
            state["retired"] = [r for r in state["retired"] if r != ref(bank_id, version)]
            self._save_state(session, state)
        session.log("bank-activate", detail={"bank": bank_id, "version": version, "instrument": key})
        return bank

    def retire(self, session: Any, bank_id: str, version: str) -> None:
        """No new interviews on this version; its records stay readable (and open ones can finish)."""
        session.require_admin()
        bank = self.load(bank_id, version)
        key = instrument_key(bank)
        with exclusive(self._lock()):
            state = self.state()
            if self.active_ref(key, state) == (bank_id, version):
                raise RetireActive(None, bank=ref(bank_id, version), instrument=key)
            state["retired"] = [*state["retired"], ref(bank_id, version)]
            self._save_state(session, state)
        session.log("bank-retire", detail={"bank": bank_id, "version": version, "instrument": key})

    def _lock(self) -> Path:
        ensure_dir(self.lock_path.parent)
        return self.lock_path

    # ------------------------------------------------------------------ listing

    def versions(self, session: Any = None) -> list[VersionInfo]:
        """Every bundled and published version; with a session, how many records use each."""
        state = self.state()
        retired = set(state["retired"])
        rows: list[VersionInfo] = []
        for b in self.bundled():
            rows.append(VersionInfo(b.id, b.version, instrument_key(b), "bundled", b.sha256,
                                    title_sv=b.model.title.sv, title_en=b.model.title.en, items=len(b.items)))
        listed = {_split_ref(r) for r in state["published"]}
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
            counts: dict[tuple[str, str], list[int]] = {}
            for d in session.list_records():
                c = counts.setdefault((d.get("bank_id"), d.get("bank_version")), [0, 0])
                c[0] += 1
                c[1] += d.get("status") != "completed"
            for r in rows:
                r.records, r.in_progress = counts.get((r.bank_id, r.version), [0, 0])
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
                raw = yml.read_bytes()
            except OSError:
                raise BankAltered(None, what=yml.name) from None
            if meta.get("kind") != "map" or _sha(raw) != meta.get("sha256"):
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
    return BankStore(Path(root)).load
