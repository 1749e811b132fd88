"""A synthetic statistics dataset built for the disclosure tests: statistics
rows made directly (no store), so every table can be computed in
milliseconds, hundreds of times.

Made to be hard on disclosure control: small groups (a unit of three
clients, a unit of one), one-person cells (one client under 18, one with an
unknown age, rare substances and housing), gender 3 rare, chained follow-ups,
dropouts linked and unlinked, interviewers with one record.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from asi_tui.bank.registry import bundled_bank
from asi_tui.engine.values import MissingCode
from asi_tui.reports.data import Dataset, Row
from asi_tui.scoring.composite import AREAS

RATING_IDS = ("medical", "employment", "alcohol", "drug", "legal", "family", "psych")
UNITS = ["nord"] * 12 + ["syd"] * 8 + ["mitt"] * 4
START = date(2023, 1, 1)


def _pick(rng: random.Random, weighted: list[tuple[object, int]]) -> object:
    values, weights = zip(*weighted)
    return rng.choices(values, weights)[0]


def _background(rng: random.Random, i: int) -> dict[str, object]:
    return {
        "age": _pick(rng, [(18 + k, 3) for k in range(0, 17)] + [(35 + k, 2) for k in range(0, 30)] + [(66 + k, 1) for k in range(8)]),
        "gender": _pick(rng, [(1, 45), (2, 52), (3, 3)]),
        "substance": _pick(rng, [(1, 30), (9, 22), (10, 16), (3, 8), (16, 6), (2, 2), (12, 1), (None, 3)]),
        "housing": _pick(rng, [(1, 30), (2, 12), (3, 10), (4, 6), (5, 8), (6, 6), (7, 6), (8, 5), (9, 2), (None, 3)]),
        "income": _pick(rng, [(k, 10 - k // 2) for k in range(1, 11)] + [(None, 2)]),
        "birth_region": _pick(rng, [(1, 60), (2, 10), (3, 15), (4, 12), (None, 2)]),
        "parents_born": _pick(rng, [(0, 55), (1, 25), (2, 18), (None, 2)]),
    }


def _scores(rng: random.Random, client_items: list[str]) -> dict[str, dict]:
    ratings: dict[str, object] = {}
    for area in RATING_IDS:
        r = rng.random()
        ratings[area] = MissingCode("X") if r < 0.04 else None if r < 0.07 else rng.randint(0, 9)
    client: dict[str, object] = {}
    for item in client_items:
        r = rng.random()
        if r < 0.9:
            client[item] = MissingCode("X") if r < 0.05 else rng.randint(0, 4)
    comps = {area: (None if rng.random() < 0.1 else round(rng.random() * 0.9, 3)) for area in AREAS}
    return {"ratings": ratings, "client": client, "comps": comps}


def synthetic_dataset(seed: int = 15) -> Dataset:
    rng = random.Random(seed)
    grund, uppf, bort = bundled_bank("asi-grund"), bundled_bank("asi-uppfoljning"), bundled_bank("asi-bortfall")
    gitems = [i.id for i in grund.items if i.type == "client_rating"]
    uitems = [i.id for i in uppf.items if i.type == "client_rating"]
    rows: list[Row] = []
    grunds: list[Row] = []
    for i in range(240):
        bg = _background(rng, i)
        unit = rng.choice(UNITS)
        if i < 3:
            unit = "liten"  # a unit of three
        elif i == 3:
            unit = "ensam"  # a unit of one
        if i == 4:
            bg["age"] = 17  # one client under 18
        if i == 5:
            bg["age"] = None  # one with no age
        day = START + timedelta(days=i * 1790 // 240 + rng.randrange(0, 5))  # every half-year 2023-2027 has Grund interviews
        r = Row(rid=f"g{i:03d}", kind="interview", instrument="grund", bank_id=grund.id, bank_version=grund.version,
                date=day, linked_rid=None, unit=unit, interviewer=rng.choice(["anna", "bo", "cia", "cia", "anna"]),
                client_key=f"c{i:03d}", x_answers=rng.randint(0, 12), answered=rng.randint(150, 220),
                **bg, **_scores(rng, gitems))  # type: ignore[arg-type]
        if i == 6:
            r.interviewer = "dan"  # an interviewer with one record
        grunds.append(r)
    rows += grunds
    follow: list[Row] = []
    for j, g in enumerate(rng.sample(grunds, 100)):
        prev = follow[-1] if follow and j % 9 == 8 and follow[-1].client_key == g.client_key else None
        day = min(g.date + timedelta(days=rng.choice([120, 190, 230, 300, 360, 420, 600]) + rng.randrange(0, 20)),
                  date(2027, 12, 31))
        bg = _background(rng, j)
        bg["age"] = g.age
        bg["gender"] = g.gender
        u = Row(rid=f"u{j:03d}", kind="interview", instrument="uppfoljning", bank_id=uppf.id, bank_version=uppf.version,
                date=day, linked_rid=(prev or g).rid, unit=g.unit, interviewer=rng.choice(["anna", "bo", "cia"]),
                client_key=g.client_key, x_answers=rng.randint(0, 8), answered=rng.randint(90, 140),
                **{k: v for k, v in bg.items() if k not in ("birth_region", "parents_born")},
                **_scores(rng, uitems))  # type: ignore[arg-type]
        follow.append(u)
    # chains: a second follow-up linked to the first one of the same client
    for k, u in enumerate(follow[:12]):
        later = Row(rid=f"v{k:03d}", kind="interview", instrument="uppfoljning", bank_id=uppf.id,
                    bank_version=uppf.version, date=min(u.date + timedelta(days=200), date(2027, 12, 31)),
                    linked_rid=u.rid, unit=u.unit,
                    interviewer="bo", client_key=u.client_key, age=u.age, gender=u.gender, substance=u.substance,
                    housing=u.housing, income=u.income, **_scores(rng, uitems))  # type: ignore[arg-type]
        follow.append(later)
    rows += follow
    reasons = ["acute", "psych", "declined", "staff", "incomplete", "unreachable", "no_routine", "other"]
    no_follow = [g for g in grunds if g.rid not in {f.linked_rid for f in follow}]
    for d in range(60):
        bg = _background(rng, d)
        for_ = "uppfoljning" if d % 3 == 0 else "grund"
        g = no_follow[d] if for_ == "uppfoljning" else None
        day = (g.date + timedelta(days=250)) if g else START + timedelta(days=rng.randrange(0, 1370))
        rows.append(Row(rid=f"d{d:03d}", kind="dropout", instrument="bortfall", bank_id=bort.id,
                        bank_version=bort.version, date=day, linked_rid=g.rid if g and d % 2 else None,
                        unit=rng.choice(UNITS + [None]), interviewer=rng.choice(["anna", "bo"]),
                        client_key=g.client_key if g else f"b{d}", dropout_for=for_,
                        reason=rng.choice(reasons + [None]),
                        **{k: v for k, v in bg.items() if k not in ("birth_region", "parents_born")}))  # type: ignore[arg-type]
    banks = {(b.id, b.version): b for b in (grund, uppf, bort)}
    return Dataset(rows, banks)


def subsample(ds: Dataset, rng: random.Random) -> Dataset:
    keep = rng.uniform(0.3, 0.95)
    return Dataset([r for r in ds.rows if rng.random() < keep], ds.banks)
