"""Published bank versions in a data directory, write side: publishing a
version (resolved, immutable, signed), migration maps, activating and retiring.

Every write is an admin's, signed with the admin key and audited. The layout
and the verified reads are in `bank_versions`; `BankStore` is both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..bank.lint import locale_coverage
from ..bank.loader import BankError, QuestionBank, load_bank
from ..bank.migration import LoadedMap, MapReport, load_map
from . import clock
from . import crypto as C
from .bank_versions import (
    FMT,
    LOADED,
    SIG_SUFFIX,
    BankResolver,
    BankVersions,
    MapInfo,
    VersionInfo,
    instrument_key,
    ref,
    resolver_for,
    sha256_hex,
)
from .errors import (
    BadBankId,
    BankAltered,
    BankStoreError,
    MapExists,
    NoActiveVersion,
    RetireActive,
    VersionExists,
    VersionNotFound,
    VersionRetired,
)
from .fsutil import atomic_write, ensure_dir
from .locks import exclusive

__all__ = [
    "BadBankId",
    "BankAltered",
    "BankResolver",
    "BankStore",
    "BankStoreError",
    "BankVersions",
    "MapExists",
    "MapInfo",
    "NoActiveVersion",
    "RetireActive",
    "VersionExists",
    "VersionInfo",
    "VersionNotFound",
    "VersionRetired",
    "instrument_key",
    "resolved_yaml",
    "resolver_for",
]


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


class BankStore(BankVersions):
    """Published bank versions, the active version per instrument, and migration maps."""

    # ------------------------------------------------------------------ signed writes

    @staticmethod
    def _sign(session: Any, payload: dict[str, Any]) -> dict[str, Any]:
        sk = session.keys.admin_sk
        if sk is None:
            session.require_admin()
            raise BankStoreError("store.error.not_authorized")
        return {**payload, "signature": C.b64e(C.sign(sk, C.canonical(payload)))}

    def _write_json(self, path: Path, data: dict[str, Any]) -> None:
        atomic_write(path, json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8"), self.tmp)

    def _save_state(self, session: Any, state: dict[str, Any]) -> None:
        payload = {
            "fmt": FMT,
            "seq": int(state.get("seq", 0)) + 1,
            "active": dict(sorted(state["active"].items())),
            "retired": sorted(set(state["retired"])),
            "published": sorted(set(state.get("published", []))),
            "by": session.user.id,
            "at": clock.now(),
        }
        ensure_dir(self.dir)
        self._write_json(self.state_path, self._sign(session, payload))

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
            if yml.exists() and session.count_by_bank().get((bank_id, version)):
                raise BankAltered(None, what=ref(bank_id, version))  # a file without signature, and records use it
            state = self.state()
            ensure_dir(self.dir)
            ensure_dir(yml.parent)
            data = resolved_yaml(src)
            digest = sha256_hex(data)
            atomic_write(yml, data, self.tmp)
            try:
                check = load_bank(yml, codes_dir=self.dir / ".no-shared-code-lists")
                if not _same_content(check, src) or check.sha256 != digest:
                    raise RuntimeError("the resolved bank differs from its source")
            except BaseException:
                yml.unlink(missing_ok=True)
                raise
            LOADED[(str(yml), digest)] = check
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
                "published_at": clock.now(),
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
                "sha256": sha256_hex(raw),
                "published_by": session.user.id,
                "published_at": clock.now(),
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
