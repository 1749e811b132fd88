"""A synthetic data directory with known answers, made through the real store API.

Built once per test session (about 50 interviews, a few seconds): completed
Grund and Uppföljning interviews, a broken-off Grund, a gambling module,
dropouts, plus a practice record and a paused one that no report may show.
`World.records` keeps what went in (the engine's answers after completion),
so the tests can count on their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.demo import fill
from asi_tui.store import Session, Store, crypto

ADMIN, ADMIN_PW = "chef", "chefens långa lösenfras"
ANNA, ANNA_PW = "anna", "annas långa lösenfras"
ANALYST, ANALYST_PW = "fou", "analytikerns långa lösenfras"  # granted both units: statistics and exports
UNIT_IDS = {"Enhet A": "enhet-a", "Enhet B": "enhet-b"}  # the units' ids, as made from their names
TODAY = date(2026, 11, 23)  # the planning date the follow-up tests use (not the clock)

RATING_ITEMS = ("M9", "E22", "D32", "D33", "L30", "F36", "P21")


@dataclass
class Known:
    rid: str
    kind: str  # interview | dropout
    instrument: str  # grund | uppfoljning | spel | bortfall
    client_ref: str
    day: date
    answers: dict[str, Any]
    linked: str | None = None
    practice: bool = False
    unit: str | None = None  # the record's unit id
    status: str = "completed"
    bank_version: str = bundled_bank("asi-grund").version

    def get(self, item: str) -> Any:
        return self.answers.get(item)


@dataclass
class World:
    root: Path
    pwfile: Path
    records: list[Known] = field(default_factory=list)

    def pwfile_for(self, user: str) -> Path:
        """A passphrase file for `user` (the CLI tests)."""
        path = self.root.parent / f"pw-{user}"
        path.write_text({ADMIN: ADMIN_PW, ANALYST: ANALYST_PW}.get(user, ANNA_PW) + "\n")
        return path

    def session(self, user: str = ANNA) -> Session:
        return Store.open(self.root).unlock(user, {ADMIN: ADMIN_PW, ANALYST: ANALYST_PW}.get(user, ANNA_PW))

    def completed(self, kind: str = "interview", instrument: str | None = None) -> list[Known]:
        return [
            r
            for r in self.records
            if r.kind == kind and r.status == "completed" and not r.practice and (instrument is None or r.instrument == instrument)
        ]


# Known background values of the 30 Grund interviews (index i).
GENDERS = [1] * 14 + [2] * 13 + [3] * 3  # 3 "other": a cell of 1-4
AGES = [19, 22, 24, 25, 27, 29, 30, 31, 33, 35, 38, 40, 41, 44, 45, 47, 50, 52, 55, 58, 60, 63, 66, 70, 23, 26, 28, 36, 42, 51]
SUBSTANCES = [1] * 10 + [9] * 8 + [10] * 6 + [3] * 3 + [16] * 2 + ["X"]
UNITS = ["enhet-a"] * 20 + ["enhet-b"] * 10  # the records' units (ids)


def _grund_date(i: int) -> date:
    return date(2024, 9, 5) + timedelta(days=i * 26)  # 2024-09-05 .. 2026-10-11


def _make_interview(s: Session, bank, ref: str, day: date, known: dict[str, Any], rng: random.Random,
                    linked: dict | None = None, ratings: dict[str, Any] | None = None, practice: bool = False,
                    complete: bool = True, unit: str | None = None):
    h = s.create_record(bank, ref, day, linked=linked, practice=practice, unit=None if practice else unit)
    for item, value in known.items():
        outcome = h.answer(item, value)
        assert outcome.ok, (item, value, outcome)
    fill(h, rng, heavy=rng.random() < 0.6)
    for item, value in (ratings or {}).items():
        assert h.answer(item, value).ok, (item, value)
    if complete:
        h.complete()
    else:
        h.pause()
    answers = dict(h.interview.answers)
    rid, status = h.rid, h.status
    h.close()
    return rid, answers, status


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> World:
    crypto.allow_test_kdf()
    root = tmp_path_factory.mktemp("reports") / "data"
    store, _ = Store.init(root, ADMIN, "Chef", ADMIN_PW, unit_name="Enhet A")
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_unit("Enhet B")
    admin.add_user(ANNA, "Anna", "interviewer", ANNA_PW, certified=True, units=["enhet-a", "enhet-b"])
    admin.add_user(ANALYST, "FoU", "analyst", ANALYST_PW, units=["enhet-a", "enhet-b"])
    admin.close()
    pw = root.parent / "pw"
    pw.write_text(ANNA_PW + "\n")
    w = World(root, pw)
    s = store.unlock(ANNA, ANNA_PW)
    grund, uppf = bundled_bank("asi-grund"), bundled_bank("asi-uppfoljning")
    rng = random.Random(4711)
    income_codes = list(range(1, 11))
    housing_codes = list(range(1, 10))
    grunds: list[Known] = []
    for i in range(30):
        day = _grund_date(i)
        known = {
            "G10": GENDERS[i],
            "G16": AGES[i],
            "D14": SUBSTANCES[i],
            "SE.G.boende": housing_codes[(i * 7) % 9] if i % 11 else "X",
            "SE.E.huvudkalla": income_codes[(i * 3) % 10],
        }
        if i == 29:
            known["G12"] = 1  # broken off: a rating may be X
        ratings = {item: (i + k) % 10 for k, item in enumerate(RATING_ITEMS)}
        if i == 29:
            ratings["L30"] = "X"
        rid, answers, status = _make_interview(s, grund, f"K-{i:03d}", day, known, rng, ratings=ratings, unit=UNITS[i])
        k = Known(rid, "interview", "grund", f"K-{i:03d}", day, answers, unit=UNITS[i])
        grunds.append(k)
        w.records.append(k)
    # follow-ups for 12 of them, 7-10 months later (all before TODAY)
    for n, i in enumerate([0, 2, 4, 5, 7, 9, 10, 12, 14, 15, 17, 19]):
        g = grunds[i]
        day = g.day + timedelta(days=215 + 5 * n)
        known = {"G10": GENDERS[i], "G16": AGES[i] + 1, "D14": SUBSTANCES[i],
                 "SE.G.boende": housing_codes[(i * 5) % 9], "SE.E.huvudkalla": income_codes[(i * 7) % 10]}
        ratings = {item: max(0, (i + k) % 10 - 2) for k, item in enumerate(RATING_ITEMS)}
        rid, answers, status = _make_interview(s, uppf, g.client_ref, day, known, rng,
                                               linked={"rid": g.rid, "date": g.day.isoformat()}, ratings=ratings, unit=UNITS[i])
        w.records.append(Known(rid, "interview", "uppfoljning", g.client_ref, day, answers, linked=g.rid, unit=UNITS[i]))
    # a second, newer Grund for client K-001: the older one is no longer planned
    rid, answers, _ = _make_interview(s, grund, "K-001", date(2026, 6, 1), {"G10": 1, "G16": 23, "D14": 1,
                                      "SE.G.boende": 1, "SE.E.huvudkalla": 1}, rng, unit="enhet-b")
    w.records.append(Known(rid, "interview", "grund", "K-001", date(2026, 6, 1), answers, unit="enhet-b"))
    # the gambling module for one client
    rid, answers, _ = _make_interview(s, bundled_bank("asi-spel-grund"), "K-003", grunds[3].day, {}, rng, unit="enhet-a")
    w.records.append(Known(rid, "interview", "spel", "K-003", grunds[3].day, answers, unit="enhet-a"))
    # dropouts: (instrument 1/2, reason, gender, age, housing, income, substance, date); the first six in
    # unit A, the rest in unit B (registrations carry their unit, like interviews)
    drops = [
        (1, "declined", 2, 25, 8, 6, 9, date(2025, 2, 3)),
        (1, "declined", 2, 31, 7, 6, 3, date(2025, 3, 9)),
        (1, "acute", 2, 44, 8, 9, 16, date(2025, 5, 20)),
        (1, "psych", 1, 38, 4, 4, 1, date(2025, 8, 14)),
        (1, "staff", 2, "X", 1, 6, 10, date(2025, 10, 2)),
        (1, "declined", 1, 52, 1, 1, 1, date(2026, 1, 12)),
        (2, "unreachable", 2, 29, 7, 6, 9, date(2025, 9, 1)),
        (2, "unreachable", 2, 41, 8, "X", 9, date(2026, 2, 2)),
        (2, "no_routine", 1, 57, 1, 4, 1, date(2026, 3, 3)),
        (2, "incomplete", 3, 35, 2, 6, 10, date(2026, 4, 4)),
    ]
    bortfall = bundled_bank("asi-bortfall")
    for j, (instr, reason, gender, age, housing, income, substance, day) in enumerate(drops):
        unit = "enhet-a" if j < 6 else "enhet-b"
        h = s.create_record(bortfall, f"B-{j:03d}", day, unit=unit)
        for item, value in (("SE.B.instrument", instr), ("SE.B.orsak", reason), ("G10", gender), ("G16", age),
                            ("SE.G.boende", housing), ("F4", 7), ("SE.E.huvudkalla", income), ("M3", 0),
                            ("SE.P.kontakt", 1), ("D14", substance)):
            assert h.answer(item, value).ok, (item, value)
        h.complete()
        w.records.append(Known(h.rid, "dropout", "bortfall", f"B-{j:03d}", day, dict(h.interview.answers), unit=unit))
        h.close()
    # never in a report: a practice interview and a paused one
    rid, answers, _ = _make_interview(s, grund, "OVNING-1", date(2025, 6, 1), {"G10": 2, "G16": 30}, rng,
                                      practice=True)
    w.records.append(Known(rid, "interview", "grund", "OVNING-1", date(2025, 6, 1), answers, practice=True))
    rid, answers, status = _make_interview(s, grund, "K-900", date(2025, 6, 2), {"G10": 2, "G16": 30}, rng,
                                           complete=False, unit="enhet-a")
    w.records.append(Known(rid, "interview", "grund", "K-900", date(2025, 6, 2), answers, status=status, unit="enhet-a"))
    s.close()
    return w


@pytest.fixture(scope="session")
def dataset(world):
    """The statistics rows of the world, read once through the real store."""
    from asi_tui.reports import load_dataset

    crypto.allow_test_kdf()
    s = world.session()
    try:
        return load_dataset(s)
    finally:
        s.close()
