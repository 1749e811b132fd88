"""One client followed over time, through the real engine and store (issue 14):
ASI Grund -> Uppföljning -> (a follow-up dropout, withdrawn) -> Uppföljning.

The key answers of each interview are chosen by hand (`KNOWN`) so the tests can
work out composite scores, windows and planner dates on paper; `fill` answers
everything else with neutral values. Shared by the store, scoring, CLI and UI tests.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date
from typing import Any

from asi_tui.bank.registry import bundled_bank
from asi_tui.demo import fill
from asi_tui.store import Session

CLIENT = "K-100"
GRUND_DAY, U1_DAY, DROPOUT_DAY, U2_DAY = date(2025, 1, 15), date(2025, 7, 20), date(2026, 1, 26), date(2026, 2, 20)

_ZERO_DRUGS = {i: 0 for i in ("D3a", "D4a", "D5a", "D6a", "D7a", "D8a", "D9a", "D11a", "D12a", "D13a")}
_ZERO_FAMILY = {f"F{n}m": 0 for n in range(18, 27)}
_ZERO_PSYCH = {f"P{n}m": 0 for n in range(6, 12)}

KNOWN: dict[str, dict[str, Any]] = {
    "grund": {
        "G16": 34, "M6": 10, "M7": 2, "M8": 3, "E4": 1, "E5": 0, "E11": 0, "E12": 0,
        "D1a": 20, "D2a": 15, "D26": 20, "D28": 4, "D30": 4, "D23": 2000, **_ZERO_DRUGS, "D10a": 12, "D27": 12, "D29": 3, "D31": 3,
        "L24": 1, "L27": 0, "L28": 2, "L29": 2, "E17": 0, "F3": 0, "F30": 5, "F31": 1, "F32": 2, "F33": 1, "F34": 2, "F35": 1,
        **_ZERO_FAMILY, "P4m": 1, "P5m": 1, **_ZERO_PSYCH, "P12": 10, "P13": 2, "P14": 2,
    },
    "u1": {
        "G16": 34, "M1": 1, "M2": "0:03", "M6": 5, "M7": 1, "M8": 2, "E4": 1, "E5": 0, "E11": 8, "E12": 6000,
        "D1a": 8, "D2a": 4, "D26": 8, "D28": 2, "D30": 3, "D23": 800, **_ZERO_DRUGS, "D10a": 4, "D27": 4, "D29": 2, "D31": 2,
        "L21": 0, "L24": 0, "L27": 0, "L28": 0, "L29": 1, "E17": 0, "F3": 1, "F30": 2, "F31": 0, "F32": 1, "F33": 0, "F34": 1,
        "F35": 0, **_ZERO_FAMILY, "P4m": 1, "P5m": 0, **_ZERO_PSYCH, "P12": 5, "P13": 1, "P14": 1,
    },
    "u2": {
        "G16": 35, "M1": 0, "M6": 5, "M7": 1, "M8": 2, "E4": 1, "E5": 0, "E11": 15, "E12": 12000,
        "D1a": 2, "D2a": 0, "D26": 2, "D28": 1, "D30": 2, "D23": 200, **_ZERO_DRUGS, "D10a": 0, "D27": 0, "D29": 0, "D31": 1,
        "L21": 1, "L22": 1, "L24": 0, "L27": 3, "L28": 2, "L29": 2, "E17": 1500, "F3": 2, "F30": 0, "F31": 0, "F32": 0, "F33": 0,
        "F34": 0, "F35": 0, **_ZERO_FAMILY, "P4m": 0, "P5m": 0, **_ZERO_PSYCH, "P12": 0, "P13": 0, "P14": 0,
    },
}
RATINGS: dict[str, dict[str, int]] = {
    "grund": {"M9": 4, "E22": 6, "D32": 7, "D33": 6, "L30": 3, "F36": 4, "P21": 5},
    "u1": {"M9": 3, "E22": 4, "D32": 5, "D33": 4, "L30": 1, "F36": 3, "P21": 4},
    "u2": {"M9": 3, "E22": 3, "D32": 3, "D33": 2, "L30": 4, "F36": 1, "P21": 1},
}


@dataclass
class Chain:
    grund: str
    u1: str
    dropout: str
    u2: str


def interview(session: Session, bank_id: str, day: date, which: str, linked: dict[str, Any] | None = None,
              client: str = CLIENT, complete: bool = True, **kw: Any) -> str:
    """Create, answer (KNOWN first, then neutral values) and complete one interview."""
    h = session.create_record(bundled_bank(bank_id), client, day, linked=linked, **kw)
    for item_id, value in KNOWN[which].items():
        if item_id in h.bank.by_id and h.interview.is_visible(item_id):
            outcome = h.answer(item_id, value)
            assert outcome.ok, (which, item_id, value, outcome)
    fill(h, random.Random(7), heavy=False)
    for item_id, value in RATINGS[which].items():
        assert h.answer(item_id, value).ok
    if complete:
        h.complete()
    else:
        h.pause()
    rid = h.rid
    h.close()
    return rid


def register_dropout(session: Session, day: date, linked_rid: str | None, client: str = CLIENT) -> str:
    """A follow-up dropout (client not reached), linked to the interview whose follow-up it closes."""
    h = session.create_record(bundled_bank("asi-bortfall"), client, day, linked={"rid": linked_rid} if linked_rid else None)
    for item_id, value in (("SE.B.instrument", 2), ("SE.B.orsak", "unreachable"), ("G10", 2), ("G16", 35),
                           ("SE.G.boende", 1), ("F4", 7), ("SE.E.huvudkalla", 6), ("M3", 0), ("SE.P.kontakt", 1), ("D14", 9)):
        assert h.answer(item_id, value).ok, item_id
    h.complete()
    rid = h.rid
    h.close()
    return rid


def build_chain(session: Session, withdraw: bool = True) -> Chain:
    """Grund, Uppföljning, a dropout for the next follow-up (withdrawn when the client
    is interviewed after all), and the second Uppföljning."""
    g = interview(session, "asi-grund", GRUND_DAY, "grund")
    u1 = interview(session, "asi-uppfoljning", U1_DAY, "u1", linked={"rid": g})
    d = register_dropout(session, DROPOUT_DAY, u1)
    if withdraw:
        session.withdraw_dropout(d, "Klienten nåddes och intervjuades ändå.")
    u2 = interview(session, "asi-uppfoljning", U2_DAY, "u2", linked={"rid": u1})
    return Chain(g, u1, d, u2)


def chained_dir(root, admin: tuple[str, str], anna: tuple[str, str]) -> Chain:
    """A new data directory at `root` with an admin, Anna, and Anna's chain for CLIENT."""
    from asi_tui.store import Store, crypto

    crypto.allow_test_kdf()
    store, _ = Store.init(root, admin[0], "Admin", admin[1])
    a = store.unlock(*admin)
    a.add_user(anna[0], "Anna Andersson", "interviewer", anna[1], certified=True)
    a.close()
    s = store.unlock(*anna)
    chain = build_chain(s)
    s.close()
    return chain
