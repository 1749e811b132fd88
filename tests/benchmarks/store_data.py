"""Benchmark data for the store benchmarks (bench_store.py, bench_concurrency.py).

`ensure(root, n)` makes a data directory of `n` records at `root` (or reuses
one made earlier with the same `n`), spread over three units and eight
interviewers, with dates over the last ten years: clients with a completed
Grund, most with one or two follow-ups 5-13 months apart (some of them
dropout registrations), and recent interviews still open (in progress or
paused), so that an interviewer has open interviews and follow-ups fall due.

How. A few interviews of each kind are done through the real API in a
scratch store (create_record / answer / complete, the demo's `fill`), so
the bodies are what the program writes. The `n` records are cloned from
them (client, unit, interviewer, dates, status changed) and written
*directly*: each body encrypted under its own data key as
`Session.create_record` does (`records.new_header` + `records.encode_snapshot`),
a lock file per record, and the index documents (`index.index_doc`) stored
in one `Index.replace_all` (what `asi-tui index rebuild` ends with). Going
through the journal for 100,000 x 280 answers would take hours of fsyncs
and measure nothing about the index. Shortcuts: snapshot files are not
fsynced one by one, and the audit log holds no entries for the clones.
"""

from __future__ import annotations

import json
import random
import secrets
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ADMIN, ADMIN_PW = "chef", "benchmark-lösenfras-chef"
UNITS = ("Enhet A", "Enhet B", "Mottagningen")
# interviewer -> units (indexes into UNITS); "anna" is the one whose home screen is measured
INTERVIEWERS = {"anna": (0, 1), "bo": (0,), "cecilia": (1,), "david": (2,), "eva": (0, 2),
                "fredrik": (1,), "greta": (2,), "hassan": (0, 1, 2)}
MARKER = "bench-data.json"
DROPOUT_ANSWERS = (("SE.B.instrument", 2), ("SE.B.orsak", "declined"), ("G10", 2), ("G16", 33), ("SE.G.boende", 1),
                   ("F4", 7), ("SE.E.huvudkalla", 6), ("M3", 0), ("SE.P.kontakt", 1), ("D14", 9))
_templates_cache: dict[str, list[str]] | None = None


def password(user: str) -> str:
    return f"benchmark-lösenfras-{user}"


def unlock(root: Path, user: str):
    from asi_tui.store import Store
    from asi_tui.store import crypto as C

    C.allow_test_kdf()
    return Store.open(root).unlock(user, ADMIN_PW if user == ADMIN else password(user))


def _init(root: Path):
    from asi_tui.store import Store
    from asi_tui.store import crypto as C

    C.allow_test_kdf()
    store, _ = Store.init(root, ADMIN, "Chef", ADMIN_PW, unit_name=UNITS[0])
    admin = store.unlock(ADMIN, ADMIN_PW)
    for name in UNITS[1:]:
        admin.add_unit(name)
    for uid, units in INTERVIEWERS.items():
        admin.add_user(uid, uid.capitalize(), "interviewer", password(uid), certified=True,
                       units=[UNITS[i] for i in units])
    admin.close()
    return store


def templates() -> dict[str, list[str]]:
    """Bodies (JSON) of real interviews: completed Grund, follow-ups and dropouts, made in a scratch store."""
    global _templates_cache
    if _templates_cache is not None:
        return _templates_cache
    from asi_tui.bank.registry import bundled_bank
    from asi_tui.demo import fill

    rng = random.Random(16)
    out: dict[str, list[str]] = {"grund": [], "uppfoljning": [], "dropout": []}
    grund, uppf, bort = bundled_bank("asi-grund"), bundled_bank("asi-uppfoljning"), bundled_bank("asi-bortfall")
    with tempfile.TemporaryDirectory() as tmp:
        _init(Path(tmp) / "t")
        s = unlock(Path(tmp) / "t", "anna")
        day = date.today() - timedelta(days=400)
        for i in range(3):
            h = s.create_record(grund, f"T-{i}", day, unit=UNITS[0])
            fill(h, rng, heavy=i % 2 == 0)
            h.complete()
            out["grund"].append(json.dumps(h.body))
            linked = {"rid": h.rid, "date": h.body["interview_date"]}
            h.close()
            if i < 2:
                h = s.create_record(uppf, f"T-{i}", day + timedelta(days=200), linked=linked, unit=UNITS[0])
                fill(h, rng, heavy=i % 2 == 1)
                h.complete()
                out["uppfoljning"].append(json.dumps(h.body))
                h.close()
        h = s.create_record(bort, "TB-0", day, unit=UNITS[0])
        for item, value in DROPOUT_ANSWERS:
            h.answer(item, value)
        h.complete()
        out["dropout"].append(json.dumps(h.body))
        h.close()
        s.close()
    _templates_cache = out
    return out


def _stamp(day: date, rng: random.Random) -> str:
    t = datetime(day.year, day.month, day.day, 8, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(9 * 3600))
    return t.isoformat(timespec="seconds")


def _plan(n: int, today: date, rng: random.Random) -> list[dict[str, Any]]:
    """What to write: n record descriptions, client by client (chains)."""
    users = list(INTERVIEWERS)
    out: list[dict[str, Any]] = []
    client = 0
    while len(out) < n:
        client += 1
        ref = f"K{client:06d}"
        # the first clients are anna's open interviews, so that even 100 records give her some
        forced = client <= 4
        unit = rng.choice(INTERVIEWERS["anna"]) if forced else rng.randrange(len(UNITS))
        who = "anna" if forced else rng.choice([u for u in users if unit in INTERVIEWERS[u]])
        day = today - timedelta(days=rng.randrange(1, 60) if forced else rng.randrange(1, 3650))
        recent = (today - day).days < 60
        status = "completed"
        if forced or (recent and rng.random() < 0.3):
            status = rng.choice(("in_progress", "paused"))
        grund = {"kind": "grund", "ref": ref, "unit": unit, "who": who, "day": day, "status": status,
                 "rid": secrets.token_hex(10), "linked": None}
        out.append(grund)
        prev = day
        for _ in range(2):
            if status != "completed" or rng.random() > 0.6:
                break
            nxt = prev + timedelta(days=rng.randrange(150, 400))
            if nxt >= today:
                break
            kind = "dropout" if rng.random() < 0.15 else "uppfoljning"
            if (today - nxt).days < 60 and rng.random() < 0.3 and kind == "uppfoljning":
                status = rng.choice(("in_progress", "paused"))
            w = who if rng.random() < 0.7 else rng.choice([u for u in users if unit in INTERVIEWERS[u]])
            out.append({"kind": kind, "ref": ref, "unit": unit, "who": w, "day": nxt, "status": status,
                        "rid": secrets.token_hex(10), "linked": {"rid": grund["rid"], "date": day.isoformat()}})
            prev = nxt
            if kind == "dropout":
                break
    return out[:n]


def _set(body: dict[str, Any], item: str, value: object) -> None:
    if item in body["answers"]:
        body["answers"][item]["v"] = value


def build(root: Path, n: int, today: date | None = None, seed: int = 20261201, progress: bool = False) -> float:
    """Make the data directory `root` with `n` records; returns the seconds it took."""
    from asi_tui.store import crypto as C
    from asi_tui.store.index import index_doc
    from asi_tui.store.locks import RecordLock
    from asi_tui.store.records import Snapshot, encode_snapshot, new_header

    t0 = time.perf_counter()
    today = today or date.today()
    tpl = templates()
    _init(root)
    admin = unlock(root, ADMIN)
    unit_ids = [admin.find_unit(u).id for u in UNITS]
    gen = admin.keys.write_gen
    keys = [admin.keys.key_for(gen, u) for u in unit_ids]
    rng = random.Random(seed)
    docs = []
    records, locks = root / "records", root / "locks"
    for i, r in enumerate(_plan(n, today, rng)):
        body = json.loads(rng.choice(tpl[r["kind"]]))
        unit = unit_ids[r["unit"]]
        created, updated = _stamp(r["day"], rng), _stamp(r["day"] + timedelta(days=rng.randrange(0, 3)), rng)
        body.update(rid=r["rid"], client_ref=r["ref"], unit=unit, interviewer=r["who"], status=r["status"],
                    interview_date=r["day"].isoformat(), linked=r["linked"], created=created, updated=updated,
                    history=[{"status": "in_progress", "by": r["who"], "at": created}]
                    + ([{"status": r["status"], "by": r["who"], "at": updated}] if r["status"] != "in_progress" else []))
        if r["kind"] == "grund":
            body.setdefault("meta", {})["responsible"] = r["who"]
        _set(body, "G16", rng.randint(18, 80))
        _set(body, "G10", rng.choice((1, 2, 2, 3)))
        dek = C.random_key()
        header = new_header(r["rid"], 1, 0, gen, keys[r["unit"]], dek, unit)
        path = records / f"{r['rid']}.rec"
        path.write_bytes(encode_snapshot(header, body, dek))
        path.chmod(0o660)
        RecordLock.create_file(locks / f"{r['rid']}.lock")
        docs.append(index_doc(Snapshot(header, body, dek)))
        if progress and (i + 1) % 20000 == 0:
            print(f"    {i + 1} records written ({time.perf_counter() - t0:.0f} s)", flush=True)
    admin.index.replace_all(docs)
    admin.close()
    (root / MARKER).write_text(json.dumps({"records": n, "today": today.isoformat()}))
    return time.perf_counter() - t0


def ensure(root: Path, n: int, progress: bool = True) -> Path:
    """`root` holding `n` records: reused if built earlier with the same `n`, else built."""
    marker = root / MARKER
    if marker.exists():
        if json.loads(marker.read_text()).get("records") != n:
            raise SystemExit(f"{root} holds another number of records than {n}")
        return root
    if root.exists() and any(root.iterdir()):
        raise SystemExit(f"{root} exists and is not benchmark data")
    root.parent.mkdir(parents=True, exist_ok=True)
    if progress:
        print(f"making {n} records in {root} ...", flush=True)
    secs = build(root, n, progress=progress)
    if progress:
        print(f"  made in {secs:.1f} s ({n / secs:.0f} records/s; direct snapshot writes, see store_data.py)", flush=True)
    return root
