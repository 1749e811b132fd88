"""A demo data directory with synthetic users, clients and records.

Everything here is invented. The passphrases are printed in the README and
are meant only for trying the program out.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from .bank.loader import QuestionBank
from .bank.model import Item
from .bank.registry import bundled_bank
from .store import RecordHandle, Session, Store

BEROENDE, VUXEN = "Beroendeenheten", "Vuxenenheten"  # the demo's two units (ids beroendeenheten, vuxenenheten)

DEMO_USERS = {
    # id: (name, role, certified, passphrase, units)
    "demo-admin": ("Demo Administratör", "admin", False, "demo-admin-lösenfras", ()),
    "anna": ("Anna Andersson (demo)", "interviewer", True, "demo-anna-lösen", (BEROENDE,)),
    "cecilia": ("Cecilia Carlsson (demo)", "interviewer", True, "demo-cecilia-lösen", (BEROENDE,)),
    "bertil": ("Bertil Berg (demo)", "interviewer", True, "demo-bertil-lösen", (VUXEN,)),
    "tove": ("Tove Trainee (demo)", "interviewer", False, "demo-tove-lösen", (BEROENDE,)),
    "ulla": ("Ulla Utbildare (demo)", "trainer", False, "demo-ulla-lösen", ()),
    "frida": ("Frida FoU (demo)", "analyst", False, "demo-frida-lösen", (BEROENDE, VUXEN)),
}


def _value(bank: QuestionBank, item: Item, rng: random.Random, heavy: bool) -> object:
    t = item.type
    if t in ("count", "money"):
        hi = {"count": 6, "money": 4000}[t]
        return rng.randint(0, hi) if heavy and rng.random() < 0.5 else 0
    if t == "days":
        return rng.randint(0, 20) if heavy and rng.random() < 0.5 else 0
    if t == "years_months":
        return rng.randint(0, 60)
    if t in ("yes_no", "single", "client_rating", "interviewer_rating", "multi"):
        codes = bank.codes_for(item)
        assert codes is not None
        values = list(codes.values)
        if t == "single" and item.id == "G12":
            return "N"
        choice = rng.choice(values[:3]) if heavy else values[0]
        return [choice] if t == "multi" else choice
    if t == "date":
        return "2026-01-15"
    if t == "text":
        if item.pattern:
            if ":" in item.pattern:
                return "10:00"
            return "0180" if item.valid_codes == "kommun" else "5321"  # codes that exist (1.0.1 checks them)
        return "exempeltext"
    return ""


def fill(handle: RecordHandle, rng: random.Random, heavy: bool, upto: float = 1.0) -> None:
    """Answer the visible items in order (plausible synthetic values)."""
    bank = handle.bank
    items = [i for i in bank.items if i.type not in ("comment", "interviewer_rating")]
    stop = int(len(items) * upto)
    for item in items[:stop]:
        if not handle.interview.is_visible(item.id) or handle.interview.value(item.id) is not None:
            continue
        if item.id == "G16":
            outcome = handle.answer(item.id, rng.randint(24, 61))
        elif item.id == "G9":
            outcome = handle.answer(item.id, 1)
        else:
            outcome = handle.answer(item.id, _value(bank, item, rng, heavy))
        if not outcome.ok:  # a hard rule: fall back to the most neutral answer
            fallback = "X" if "X" in item.missing else 0
            handle.answer(item.id, fallback)
    if upto >= 1.0:
        for item in handle.interview.interviewer_rating_items():
            handle.answer(item.id, rng.randint(1, 7) if heavy else rng.randint(0, 3))


def create_demo(root: Path, today: date | None = None) -> bool:
    """Create the demo data directory once; returns False if it already exists."""
    if (root / "vault.json").exists():
        return False
    today = today or date.today()
    store, _code = Store.init(root, "demo-admin", DEMO_USERS["demo-admin"][0], DEMO_USERS["demo-admin"][3], BEROENDE)
    admin = store.unlock("demo-admin", DEMO_USERS["demo-admin"][3])
    admin.add_unit(VUXEN)
    for uid, (name, role, certified, pw, units) in DEMO_USERS.items():
        if uid != "demo-admin":
            admin.add_user(uid, name, role, pw, certified, list(units))
    admin.close()
    anna: Session = store.unlock("anna", DEMO_USERS["anna"][3])
    rng = random.Random(20261123)
    grund = bundled_bank("asi-grund")
    uppf = bundled_bank("asi-uppfoljning")
    # a completed Grund 8 months ago: its follow-up is due
    h = anna.create_record(grund, "DEMO-1001", today - timedelta(days=240))
    fill(h, rng, heavy=True)
    h.complete()
    h.close()
    # a completed Grund and Uppföljning pair
    h = anna.create_record(grund, "DEMO-1002", today - timedelta(days=400))
    fill(h, rng, heavy=True)
    h.complete()
    linked = {"rid": h.rid, "date": h.body["interview_date"]}
    h.close()
    h = anna.create_record(uppf, "DEMO-1002", today - timedelta(days=30), linked=linked)
    fill(h, rng, heavy=False)
    h.complete()
    h.close()
    # a client followed over time: Grund, Uppföljning, Uppföljning (the change view, k on home)
    _demo_chain(anna, rng, today)
    # a Grund paused half-way
    h = anna.create_record(grund, "DEMO-1003", today)
    fill(h, rng, heavy=True, upto=0.4)
    h.pause()
    h.close()
    # a dropout registration
    h = anna.create_record(bundled_bank("asi-bortfall"), "DEMO-1004", today - timedelta(days=10))
    for item_id, value in (("SE.B.instrument", 1), ("SE.B.orsak", "declined"), ("G10", 2), ("G16", 33), ("SE.G.boende", 1),
                           ("F4", 7), ("SE.E.huvudkalla", 6), ("M3", 0), ("SE.P.kontakt", 1), ("D14", 9)):
        h.answer(item_id, value)
    h.complete()
    h.close()
    anna.close()
    _demo_vuxen(store, rng, today)
    _demo_training(store)
    return True


def _demo_vuxen(store: Store, rng: random.Random, today: date) -> None:
    """Vuxenenheten: Bertil's clients, which Beroendeenheten cannot see (a completed
    Grund and a dropout registration); and Cecilia made responsible for DEMO-1005."""
    bertil = store.unlock("bertil", DEMO_USERS["bertil"][3])
    h = bertil.create_record(bundled_bank("asi-grund"), "DEMO-2001", today - timedelta(days=200))
    fill(h, rng, heavy=True)
    h.complete()
    h.close()
    h = bertil.create_record(bundled_bank("asi-bortfall"), "DEMO-2002", today - timedelta(days=40))
    for item_id, value in (("SE.B.instrument", 1), ("SE.B.orsak", "unreachable"), ("G10", 1), ("G16", 45),
                           ("SE.G.boende", 2), ("F4", 7), ("SE.E.huvudkalla", 4), ("M3", 0), ("SE.P.kontakt", 1), ("D14", 1)):
        h.answer(item_id, value)
    h.complete()
    h.close()
    bertil.close()
    anna = store.unlock("anna", DEMO_USERS["anna"][3])
    grund = next(d for d in anna.list_records() if d["client_ref"] == "DEMO-1005" and d["instrument"] == "grund")
    anna.set_responsible(grund["rid"], "cecilia")  # Anna did the Grund; Cecilia follows the client up
    anna.close()


# Alcohol, work and mood over three interviews of DEMO-1005: better, step by step.
_CHAIN_STEPS = (
    {"D1a": 22, "D2a": 15, "D26": 20, "D28": 4, "D30": 4, "D23": 3000, "E11": 0, "P12": 12, "P13": 3, "P14": 3, "M6": 4},
    {"D1a": 9, "D2a": 4, "D26": 8, "D28": 2, "D30": 3, "D23": 1200, "E11": 6, "P12": 6, "P13": 2, "P14": 2, "M6": 4},
    {"D1a": 3, "D2a": 0, "D26": 2, "D28": 1, "D30": 1, "D23": 300, "E11": 14, "P12": 2, "P13": 1, "P14": 1, "M6": 3},
)


def _demo_chain(session: Session, rng: random.Random, today: date) -> None:
    """DEMO-1005: a Grund about 14 months ago and two follow-ups, each linked to the one before."""
    linked = None
    for step, (bank_id, days) in enumerate((("asi-grund", 425), ("asi-uppfoljning", 215), ("asi-uppfoljning", 20))):
        h = session.create_record(bundled_bank(bank_id), "DEMO-1005", today - timedelta(days=days), linked=linked)
        for item_id, value in _CHAIN_STEPS[step].items():
            h.answer(item_id, value)
        fill(h, rng, heavy=False)
        h.complete()
        linked = {"rid": h.rid}
        h.close()


def _demo_training(store: Store) -> None:
    """Ulla's course group with Tove and Anna, and one scored attempt by Tove."""
    from .training.exercises import bundled_exercise
    from .training.results import add_member, create_group, start_attempt

    ulla = store.unlock("ulla", DEMO_USERS["ulla"][3])
    create_group(ulla, "demo-kurs")
    add_member(ulla, "demo-kurs", "tove")
    add_member(ulla, "demo-kurs", "anna")
    ulla.close()
    tove = store.unlock("tove", DEMO_USERS["tove"][3])
    ex = bundled_exercise("grund-01-lena")
    answers = {k: e.value for k, e in ex.model.key.items()} | {k: e.value for k, e in ex.model.ratings.items()}
    answers |= {"E11": 15, "D17": 1, "D32": 5}  # three coding mistakes to discuss
    h = start_attempt(tove, ex)
    for item in ex.bank.items:
        if item.id in answers and h.interview.is_visible(item.id):
            h.answer(item.id, answers[item.id])
    h.complete()
    h.close()
    tove.close()
