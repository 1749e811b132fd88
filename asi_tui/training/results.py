"""Practice attempts, training groups and the trainer's figures per exercise.

Practice records are ordinary encrypted records with `practice: true` in their
body and in the index, created with `client_ref = "övning:<exercise id>"` and
`meta = {"exercise": id, "exercise_version": n}`. Reports and exports of client
data leave them out (`read_bodies(include_practice=False)`, the home screen
filters them); only this module reads them, and only completed ones count as
attempts.

Who sees what (enforced here, as every role rule between holders of the vault
key is enforced by the program):
* an interviewer (trainee) sees only their own attempts;
* a trainer sees their own attempts and those of the members of the groups
  they lead; an admin sees the members of every group.
Only trainers and admins create groups; only a group's trainer or an admin
changes its members.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, TextIO

from ..engine.values import decode
from ..i18n import Translator
from ..store import Session
from .agreement import icc_2_1
from .errors import NotAuthorized, TrainingError
from .exercises import UNSCORED_TYPES, Exercise
from .scoring import Scorecard, score_attempt

GROUP_KIND = "group"
GROUP_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TRAINER_ROLES = ("trainer", "admin")


def practice_client_ref(exercise_id: str) -> str:
    return f"övning:{exercise_id}"


def practice_meta(exercise: Exercise) -> dict[str, Any]:
    return {"exercise": exercise.id, "exercise_version": exercise.version}


def start_attempt(session: Session, exercise: Exercise):  # noqa: ANN201 - RecordHandle
    """A new practice record for `exercise` (allowed for uncertified interviewers)."""
    return session.create_record(
        exercise.bank,
        practice_client_ref(exercise.id),
        exercise.interview_date,
        linked=exercise.linked(),
        practice=True,
        meta=practice_meta(exercise),
    )


def unfinished_attempts(session: Session, exercise_id: str) -> list[dict[str, Any]]:
    """My practice records of this exercise that are not completed (index docs, newest first)."""
    return [
        d
        for d in session.list_records(practice=True, interviewer=session.user.id, client_ref=practice_client_ref(exercise_id))
        if d.get("status") in ("in_progress", "paused")
    ]


# ----------------------------------------------------------------------------- groups


@dataclass
class Group:
    name: str
    trainer: str
    members: list[str] = field(default_factory=list)

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "trainer": self.trainer, "members": sorted(set(self.members))}


def is_trainer(session: Session) -> bool:
    return session.user.role in TRAINER_ROLES


def _all_groups(session: Session) -> dict[str, Group]:
    out = {}
    for name, doc in session.load_docs(GROUP_KIND).items():
        out[name] = Group(str(doc.get("name", name)), str(doc.get("trainer", "")), list(doc.get("members", [])))
    return out


def list_groups(session: Session) -> list[Group]:
    """Groups this user may see: an admin all, a trainer the ones they lead, a trainee their own."""
    me = session.user
    groups = _all_groups(session).values()
    if me.is_admin:
        chosen: Iterable[Group] = groups
    elif me.role == "trainer":
        chosen = [g for g in groups if g.trainer == me.id]
    else:
        chosen = [g for g in groups if me.id in g.members]
    return sorted(chosen, key=lambda g: g.name)


def create_group(session: Session, name: str) -> Group:
    if not is_trainer(session):
        raise NotAuthorized("train.error.not_trainer")
    if not GROUP_NAME_RE.match(name):
        raise TrainingError("train.error.group_name", group=name)
    if name in _all_groups(session):
        raise TrainingError("train.error.group_exists", group=name)
    group = Group(name, session.user.id, [])
    session.save_doc(GROUP_KIND, name, group.to_doc())
    session.log("train-group", detail={"group": name, "change": "create"})
    return group


def _own_group(session: Session, name: str) -> Group:
    group = _all_groups(session).get(name)
    if group is None:
        raise TrainingError("train.error.no_group", group=name)
    if not (session.user.is_admin or (session.user.role == "trainer" and group.trainer == session.user.id)):
        raise NotAuthorized("train.error.not_group_trainer", group=name)
    return group


def add_member(session: Session, name: str, user_id: str) -> Group:
    group = _own_group(session, name)
    users = {u.id: u for u in session.list_users()}
    if user_id not in users or users[user_id].disabled:
        raise TrainingError("train.error.no_user", user=user_id)
    if user_id not in group.members:
        group.members.append(user_id)
        session.save_doc(GROUP_KIND, name, group.to_doc())
        session.log("train-group", detail={"group": name, "change": "add", "user": user_id})
    return group


def remove_member(session: Session, name: str, user_id: str) -> Group:
    group = _own_group(session, name)
    if user_id in group.members:
        group.members.remove(user_id)
        session.save_doc(GROUP_KIND, name, group.to_doc())
        session.log("train-group", detail={"group": name, "change": "remove", "user": user_id})
    return group


def visible_trainees(session: Session, group: str | None = None) -> set[str]:
    """User ids whose attempts this session may see (optionally one group's members only)."""
    me = session.user
    if not is_trainer(session):
        if group is not None:
            raise NotAuthorized("train.error.not_trainer")
        return {me.id}
    groups = list_groups(session)
    if group is not None:
        match = [g for g in groups if g.name == group]
        if not match:
            raise TrainingError("train.error.no_group", group=group)
        return set(match[0].members)
    return {me.id, *(m for g in groups for m in g.members)}


# ----------------------------------------------------------------------------- attempts


@dataclass
class Attempt:
    rid: str
    user: str
    exercise_id: str
    exercise_version: int | None
    completed: str  # ISO timestamp of completion
    answers: dict[str, object]
    card: Scorecard

    @property
    def day(self) -> str:
        return self.completed[:10]


def practice_bodies(session: Session) -> Iterator[dict[str, Any]]:
    """Completed practice records (bodies). Never yields a client record."""
    if not session.list_records(practice=True, status="completed"):
        return  # the index says there are none: decrypt nothing
    try:  # a store that can leave client records out before decrypting them
        bodies = session.read_bodies(statuses=("completed",), include_practice=True, practice_only=True)  # type: ignore[call-arg]
    except TypeError:
        bodies = session.read_bodies(statuses=("completed",), include_practice=True)
    for body in bodies:
        if body.get("practice"):
            yield body


def _completed_at(body: dict[str, Any]) -> str:
    for h in reversed(body.get("history") or []):
        if h.get("status") == "completed" and h.get("at"):
            return str(h["at"])
    return str(body.get("updated") or "")


def attempt_from_body(exercise: Exercise, body: dict[str, Any]) -> Attempt:
    answers = {k: decode(v["v"]) for k, v in (body.get("answers") or {}).items()}
    meta = body.get("meta") or {}
    return Attempt(
        rid=str(body["rid"]),
        user=str(body.get("interviewer")),
        exercise_id=exercise.id,
        exercise_version=meta.get("exercise_version"),
        completed=_completed_at(body),
        answers=answers,
        card=score_attempt(exercise, answers),
    )


def load_attempts(session: Session, exercise: Exercise, group: str | None = None) -> list[Attempt]:
    """Completed attempts at `exercise` this session may see, by user and time."""
    allowed = visible_trainees(session, group)
    out = [
        attempt_from_body(exercise, body)
        for body in practice_bodies(session)
        if (body.get("meta") or {}).get("exercise") == exercise.id and body.get("interviewer") in allowed
    ]
    return sorted(out, key=lambda a: (a.user, a.completed, a.rid))


# ----------------------------------------------------------------------------- figures per exercise


@dataclass(frozen=True)
class ItemErrors:
    item_id: str
    section_id: str
    errors: int
    attempts: int

    @property
    def rate(self) -> float:
        return self.errors / self.attempts if self.attempts else 0.0


@dataclass
class TraineeResult:
    user: str
    attempts: list[Attempt]

    @property
    def latest(self) -> Attempt:
        return self.attempts[-1]

    @property
    def kappa(self) -> float | None:
        """Quadratic weighted kappa of the latest attempt's ratings against the key."""
        return self.latest.card.kappa


@dataclass
class ExerciseResults:
    exercise: Exercise
    attempts: list[Attempt]
    item_errors: list[ItemErrors]  # most often miscoded first
    trainees: list[TraineeResult]
    icc: float | None  # ICC(2,1) over the trainees' latest ratings
    icc_targets: int
    icc_raters: int


def exercise_results(exercise: Exercise, attempts: list[Attempt]) -> ExerciseResults:
    bank = exercise.bank
    n = len(attempts)
    errors: list[ItemErrors] = []
    for item in bank.items:
        if item.type in UNSCORED_TYPES and item.type != "interviewer_rating":
            continue
        bad = 0
        for a in attempts:
            if item.type == "interviewer_rating":
                bad += not next(r for r in a.card.ratings if r.item_id == item.id).exact
            else:
                res = next(r for r in a.card.items if r.item_id == item.id)
                bad += res.agree is False or res.skip_kind is not None
        errors.append(ItemErrors(item.id, bank.section_of[item.id].id, bad, n))
    order = bank.order
    errors.sort(key=lambda e: (-e.rate, order[e.item_id]))
    by_user: dict[str, list[Attempt]] = {}
    for a in sorted(attempts, key=lambda a: (a.completed, a.rid)):
        by_user.setdefault(a.user, []).append(a)
    trainees = [TraineeResult(u, by_user[u]) for u in sorted(by_user)]
    icc, targets = _icc(trainees)
    return ExerciseResults(exercise, attempts, errors, trainees, icc, targets, len(trainees) if icc is not None else 0)


def _icc(trainees: list[TraineeResult]) -> tuple[float | None, int]:
    """ICC(2,1): areas (rows) x trainees (columns), each trainee's latest attempt.
    An area is left out when any trainee rated it X (broken-off interview)."""
    if len(trainees) < 2:
        return None, 0
    latest = [{r.item_id: r.trainee_value for r in t.latest.card.ratings} for t in trainees]
    items = [r.item_id for r in trainees[0].latest.card.ratings]
    rows = []
    for item_id in items:
        values = [m.get(item_id) for m in latest]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            rows.append([float(v) for v in values])  # type: ignore[arg-type]
    return icc_2_1(rows), len(rows)


# ----------------------------------------------------------------------------- output


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _cut(text: str, width: int) -> str:
    if width <= 1:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


def result_lines(results: ExerciseResults, t: Translator, top: int = 15, width: int = 80) -> list[str]:
    """The trainer's view as text lines (CLI `train results`, the trainer screen);
    item labels are cut so that a line fits in `width` columns."""
    ex = results.exercise
    lang = t.lang
    bank = ex.bank
    out = [t("train.results.title", title=ex.title(lang), id=ex.id, version=ex.version, bank=f"{bank.id} {bank.version}")]
    out.append(t("train.results.count", attempts=len(results.attempts), trainees=len(results.trainees)))
    if not results.attempts:
        out.append(t("train.results.none"))
        return out
    out.append("")
    out.append(t("train.results.items_header"))
    shown = [e for e in results.item_errors if e.errors][:top]
    if not shown:
        out.append("  " + t("train.results.no_errors"))
    for e in shown:
        label = bank.by_id[e.item_id].label.get(lang)
        out.append(f"  {e.item_id:<10} {e.errors:>3}/{e.attempts:<3} {100 * e.rate:5.1f} %  {_cut(label, width - 32)}".rstrip())
    out.append("")
    out.append(t("train.results.kappa_header"))
    user_width = max(4, *(len(tr.user) for tr in results.trainees))
    for tr in results.trainees:
        card = tr.latest.card
        out.append(
            "  "
            + t(
                "train.results.kappa_line",
                user=f"{tr.user:<{user_width}}",
                day=tr.latest.day,
                kappa=_num(tr.kappa),
                exact=f"{card.ratings_exact.agree}/{card.ratings_exact.total}",
                within=f"{card.ratings_within_one.agree}/{card.ratings_within_one.total}",
            )
        )
    out.append("")
    if results.icc is None:
        out.append(t("train.results.icc_none"))
    else:
        out.append(t("train.results.icc", icc=_num(results.icc), areas=results.icc_targets, trainees=results.icc_raters))
    out.append("")
    out.append(t("train.results.progress_header"))
    for tr in results.trainees:
        for i, a in enumerate(tr.attempts, 1):
            who = tr.user if i == 1 else ""
            c = a.card
            out.append(
                f"  {who:<{user_width}} "
                + t(
                    "train.results.progress_line",
                    n=i,
                    day=a.day,
                    exact=_pct(c.overall.pct),
                    skips=_pct(c.skips.pct),
                    ratings=f"{c.ratings_exact.agree}/{c.ratings_exact.total}",
                    kappa=_num(c.kappa),
                )
            )
    return out


CSV_FIELDS = ["kind", "exercise", "item", "section", "user", "attempt", "date", "errors", "attempts", "rate",
              "exact_pct", "skips_pct", "ratings_exact", "ratings_within_one", "kappa", "icc"]


def write_csv(results: ExerciseResults, fh: TextIO) -> None:
    """The same figures as `result_lines`, one row each, in long form."""
    w = csv.DictWriter(fh, fieldnames=CSV_FIELDS, extrasaction="raise")
    w.writeheader()
    ex = results.exercise.id
    for e in results.item_errors:
        w.writerow({"kind": "item", "exercise": ex, "item": e.item_id, "section": e.section_id, "errors": e.errors,
                    "attempts": e.attempts, "rate": f"{e.rate:.4f}"})
    for tr in results.trainees:
        for i, a in enumerate(tr.attempts, 1):
            c = a.card
            w.writerow({
                "kind": "attempt", "exercise": ex, "user": tr.user, "attempt": i, "date": a.day,
                "exact_pct": "" if c.overall.pct is None else f"{c.overall.pct:.1f}",
                "skips_pct": "" if c.skips.pct is None else f"{c.skips.pct:.1f}",
                "ratings_exact": c.ratings_exact.agree, "ratings_within_one": c.ratings_within_one.agree,
                "kappa": "" if c.kappa is None else f"{c.kappa:.4f}",
            })
    w.writerow({"kind": "icc", "exercise": ex, "attempts": results.icc_raters,
                "icc": "" if results.icc is None else f"{results.icc:.4f}"})
