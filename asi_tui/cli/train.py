"""CLI commands: train (registered on `main` by `asi_tui.cli`).

`asi-tui train list`, `train results EXERCISE [--group G] [--csv FILE]`,
`train group create|add|remove|list`. Headless: never imports Textual.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from .common import ctx_obj, passphrase_options, print_problems, translator, unlock


def _exercises(ctx: click.Context):  # noqa: ANN202
    from ..training.exercises import ExerciseError, bundled_exercises

    try:
        return bundled_exercises()
    except ExerciseError as exc:
        print_problems(exc.problems, err=True)
        raise click.ClickException(translator(ctx)("train.error.broken_exercises")) from None


@click.group()
def train() -> None:
    """Coding exercises: list, results, training groups."""


@train.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def train_list(ctx: click.Context, as_json: bool) -> None:
    """List the bundled coding exercises."""
    t = translator(ctx)
    lang = ctx_obj(ctx)["lang"]
    rows = [
        {"id": e.id, "version": e.version, "bank": e.bank.id, "bank_version": e.bank.version,
         "interview_date": e.interview_date.isoformat(), "title": e.title(lang)}
        for e in _exercises(ctx)
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(t("train.list.none"))
        return
    click.echo(t("train.list.header"))
    for r in rows:
        click.echo(f"{r['id']:<20} {r['version']:>3}  {r['bank'] + ' ' + r['bank_version']:<24} {r['title']}")


@train.command("results")
@click.argument("exercise_id", metavar="EXERCISE")
@click.option("--group", "group", help="Only the members of this training group.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="Also write the figures as CSV to FILE.")
@passphrase_options()
@click.pass_context
def train_results(ctx: click.Context, exercise_id: str, group: str | None, csv_path: Path | None,
                  passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Per-item error rates, kappa per trainee, ICC across trainees, progress per trainee.

    Trainers see the members of their groups, trainees only themselves."""
    from ..training.exercises import bundled_exercise
    from ..training.results import exercise_results, load_attempts, result_lines, write_csv

    t = translator(ctx)
    _exercises(ctx)  # broken bundled exercises: one clear message
    exercise = bundled_exercise(exercise_id)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        results = exercise_results(exercise, load_attempts(session, exercise, group))
        session.log("train-results", detail={"exercise": exercise.id, "group": group, "attempts": len(results.attempts)})
        for line in result_lines(results, t):
            click.echo(line)
        if csv_path is not None:
            fd = os.open(csv_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                write_csv(results, fh)
            session.log("export", detail={"what": "training-results", "exercise": exercise.id, "group": group,
                                          "attempts": len(results.attempts)})
            click.echo(t("train.results.csv_written", path=csv_path), err=True)
    finally:
        session.close()


@train.group("group")
def train_group() -> None:
    """Training groups: create, add, remove, list (trainers and admins)."""


@train_group.command("create")
@click.argument("name")
@passphrase_options()
@click.pass_context
def group_create(ctx: click.Context, name: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Create a training group led by you."""
    from ..training.results import create_group

    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        create_group(session, name)
    finally:
        session.close()
    click.echo(translator(ctx)("train.group.created", group=name))


@train_group.command("add")
@click.argument("name")
@click.argument("user_id", metavar="USER")
@passphrase_options()
@click.pass_context
def group_add(ctx: click.Context, name: str, user_id: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Add a trainee to a group you lead."""
    from ..training.results import add_member

    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        add_member(session, name, user_id)
    finally:
        session.close()
    click.echo(translator(ctx)("train.group.added", group=name, user=user_id))


@train_group.command("remove")
@click.argument("name")
@click.argument("user_id", metavar="USER")
@passphrase_options()
@click.pass_context
def group_remove(ctx: click.Context, name: str, user_id: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Remove a trainee from a group you lead."""
    from ..training.results import remove_member

    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        remove_member(session, name, user_id)
    finally:
        session.close()
    click.echo(translator(ctx)("train.group.removed", group=name, user=user_id))


@train_group.command("list")
@passphrase_options()
@click.pass_context
def group_list(ctx: click.Context, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """The groups you may see and their members."""
    from ..training.results import list_groups

    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        groups = list_groups(session)
    finally:
        session.close()
    if not groups:
        click.echo(t("train.group.none"))
    for g in groups:
        click.echo(t("train.group.line", group=g.name, trainer=g.trainer, members=", ".join(sorted(g.members)) or "–"))
