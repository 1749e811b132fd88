"""Subprocess driver for the store's crash tests (storage-design §3.6, #9/#10/#19/#20).

Run as a plain script: ``python driver.py '<json>'`` (or the JSON on stdin when
no argument is given).  Two modes:

``{"mode": "steps", "data": DIR, "user": ID, "passphrase": PW, "steps": [...]}``
    Unlocks the store and runs the steps in order.  Every step that the store
    acknowledged prints one line ``ACK <tag> [json]`` and flushes, so a test
    knows exactly what was acknowledged before a SIGKILL.  Steps:

    {"op": "hygiene"}                       asi_tui.hygiene.install_signal_handlers(), as the app does
    {"op": "create", "bank": ID, "client": REF, "date": ISO}     -> ACK create {"rid": ...}
    {"op": "open", "rid": RID}                                    -> ACK open
    {"op": "answer", "item": ID, "value": V, "tag": T}            -> ACK T   (REJECT T <key> if the engine refused)
    {"op": "pause"} / {"op": "complete"} / {"op": "close"}        -> ACK pause / complete / close
    {"op": "rotate", "reencrypt": bool}                           -> ACK rotate {result}
    {"op": "disable", "user": ID}                                 -> ACK disable
    {"op": "arm", "point": NAME, "action": "kill", "nth": N, "after": NAME2}
        Without nth/after this is plain ``faults.arm(point, action)``.  With
        ``nth`` the action fires on the N-th time the point is reached (counted
        only once the point ``after`` has been reached, when given).
    {"op": "block"}                          prints BLOCKING, then waits on stdin

    At the end it prints ``DONE``.  Open handles and the session are closed in
    a ``finally`` block, like the app does on SystemExit.

``{"mode": "cli", "args": [...], "boom": bool}``
    Runs ``asi_tui.cli.main(args)`` with the fast test KDF.  With ``boom``,
    ``Session.list_records`` raises an unexpected RuntimeError whose message
    and locals hold canary strings (design #20).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from asi_tui.store import crypto, faults  # noqa: E402

BOOM_MESSAGE = "CANARY-IN-MESSAGE-6620"
BOOM_LOCAL = "CANARY-LOCAL-4471"


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


_counted: dict[str, dict] = {}
_seen: set[str] = set()
_original_point = faults.point


def _counting_point(name: str) -> None:
    _seen.add(name)
    spec = _counted.get(name)
    if spec is not None and (spec["after"] is None or spec["after"] in _seen):
        spec["count"] += 1
        if spec["count"] == spec["nth"]:
            if spec["action"] == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            faults.arm(name, spec["action"])
            try:
                _original_point(name)
            finally:
                faults._armed.pop(name, None)
            return
    _original_point(name)


def arm(step: dict) -> None:
    name, action = step["point"], step.get("action", "kill")
    nth, after = step.get("nth"), step.get("after")
    if nth is None and after is None:
        faults.arm(name, action)
        return
    _counted[name] = {"nth": int(nth or 1), "after": after, "action": action, "count": 0}
    faults.point = _counting_point  # the store calls faults.point(...) through the module


def run_steps(cfg: dict) -> int:
    from asi_tui.bank.registry import bundled_bank
    from asi_tui.store import Store

    store = Store.open(Path(cfg["data"]))
    session = store.unlock(cfg.get("user", "admin"), cfg.get("passphrase", "passphrase-123"))
    handle = None
    try:
        for step in cfg["steps"]:
            op = step["op"]
            if op == "hygiene":
                from asi_tui.hygiene import install_signal_handlers

                install_signal_handlers()
                out("ACK hygiene")
            elif op == "arm":
                arm(step)
            elif op == "create":
                handle = session.create_record(
                    bundled_bank(step.get("bank", "asi-grund")),
                    step.get("client", "client"),
                    date.fromisoformat(step.get("date", "2026-11-20")),
                )
                out("ACK create " + json.dumps({"rid": handle.rid}))
            elif op == "open":
                handle = session.open_record(step["rid"])
                out("ACK open")
            elif op == "answer":
                outcome = handle.answer(step["item"], step["value"])
                if outcome.ok:
                    out(f"ACK {step['tag']}")
                else:
                    out(f"REJECT {step['tag']} {outcome.message}")
            elif op == "pause":
                handle.pause()
                out("ACK pause")
            elif op == "complete":
                handle.complete()
                out("ACK complete")
            elif op == "close":
                handle.close()
                handle = None
                out("ACK close")
            elif op == "rotate":
                result = session.rotate_key(reencrypt=bool(step.get("reencrypt")))
                out("ACK rotate " + json.dumps(result))
            elif op == "disable":
                session.disable_user(step["user"])
                out("ACK disable")
            elif op == "block":
                out("BLOCKING")
                sys.stdin.readline()
                out("UNBLOCKED")
            else:
                raise SystemExit(f"driver: unknown op {op!r}")
        out("DONE")
    finally:
        if handle is not None:
            handle.close()
        session.close()
    return 0


def run_cli(cfg: dict) -> int:
    from asi_tui import cli

    if cfg.get("boom"):
        from asi_tui.store import Session

        def boom(self, **filters):  # noqa: ANN001, ANN003, ANN202
            canary_local_value = BOOM_LOCAL + " " + repr(filters) + " " + self.user.id
            raise RuntimeError(BOOM_MESSAGE + " " + canary_local_value)

        Session.list_records = boom
    return cli.main(cfg["args"], prog_name="asi-tui")


def main() -> int:
    raw = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.read()
    cfg = json.loads(raw)
    crypto.allow_test_kdf()
    if cfg.get("mode", "steps") == "cli":
        return run_cli(cfg)
    return run_steps(cfg)


if __name__ == "__main__":
    sys.exit(main())
