"""CLI commands: `asi-tui bank ...` on the versions published in a data directory (admin).

versions, publish, publish-map, activate, retire. Each needs the user's
passphrase. Added to the `bank` group by `asi_tui.cli.banks`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .common import open_store, passphrase_options, print_problems, print_warnings, translator, unlock


def _bank_store(ctx: click.Context):  # noqa: ANN202
    from ..store.banks import BankStore

    return BankStore.for_store(open_store(ctx))


def _refused(ctx: click.Context, exc: Any, what: str) -> click.ClickException:
    t = translator(ctx)
    print_problems(exc.problems)
    return click.ClickException(t("banks.cli.refused", what=what, n=len(exc.problems)))


# ----------------------------------------------------------------------------- versions


@click.command("versions")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@passphrase_options()
@click.pass_context
def bank_versions(ctx: click.Context, as_json: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Bundled and published versions: which is active, which retired, how many records use each."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        bs = _bank_store(ctx)
        rows = bs.versions(session)
        maps = [info for _, info in bs.maps()]
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps({
            "versions": [r.to_dict() for r in rows],
            "maps": [{"from": " ".join(m.source), "to": " ".join(m.target), "sha256": m.sha256,
                      "published_by": m.published_by, "published_at": m.published_at} for m in maps],
        }, ensure_ascii=False, indent=2))
        return
    click.echo(t("banks.cli.versions_header"))
    for r in rows:
        flags = []
        if r.active:
            flags.append(t("banks.cli.flag.active"))
        if r.retired:
            flags.append(t("banks.cli.flag.retired"))
        if r.altered:
            flags.append(t("banks.cli.flag.altered"))
        source = t(f"banks.cli.source.{r.source}")
        records = f"{r.records}" + (f" ({t('banks.cli.in_progress', n=r.in_progress)})" if r.in_progress else "")
        click.echo(f"{r.instrument_key:<17} {r.bank_id:<21} {r.version:<9} {source:<11} {records:<12} {', '.join(flags)}".rstrip())
    if maps:
        click.echo(t("banks.cli.maps_header"))
        for m in maps:
            click.echo(f"  {' '.join(m.source)} -> {' '.join(m.target)}   {m.published_by or ''} {m.published_at or ''}")


# ----------------------------------------------------------------------------- publishing


@click.command("publish")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--map", "maps", multiple=True, type=click.Path(path_type=Path),
              help="A migration map from an earlier version to this one (repeatable).")
@click.option("--no-activate", is_flag=True, help="Publish only; new interviews stay on the current version.")
@passphrase_options()
@click.pass_context
def bank_publish(ctx: click.Context, file: Path, maps: tuple[Path, ...], no_activate: bool,
                 passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Publish a validated bank version into the data directory (admin).

    The version becomes immutable and signed; by default new interviews of
    its instrument start on it, while interviews already begun stay on theirs."""
    from ..bank.loader import BankError

    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        bs = _bank_store(ctx)
        try:
            info, reports = bs.publish(session, file, activate=not no_activate, maps=maps)
        except BankError as exc:
            raise _refused(ctx, exc, str(file)) from None
    finally:
        session.close()
    for report in reports:
        print_warnings(ctx, report.warnings)
    click.echo(t("banks.cli.published", bank=info.bank_id, version=info.version, sha=info.sha256[:16]))
    if info.active:
        click.echo(t("banks.cli.now_active", bank=info.bank_id, version=info.version, instrument=info.instrument_key))
    for m in maps:
        click.echo(t("banks.cli.map_published", path=m))


@click.command("publish-map")
@click.argument("map_file", metavar="MAP", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the published map between the same two versions.")
@passphrase_options()
@click.pass_context
def bank_publish_map(ctx: click.Context, map_file: Path, replace: bool, passphrase_file: Path | None,
                     passphrase_fd: int | None) -> None:
    """Publish a migration map between two available versions (admin)."""
    from ..bank.loader import BankError

    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        try:
            _info, report = _bank_store(ctx).publish_map(session, map_file, replace=replace)
        except BankError as exc:
            raise _refused(ctx, exc, str(map_file)) from None
    finally:
        session.close()
    print_warnings(ctx, report.warnings)
    click.echo(t("banks.cli.map_published", path=map_file))


@click.command("activate")
@click.argument("bank_id")
@click.argument("version")
@passphrase_options()
@click.pass_context
def bank_activate(ctx: click.Context, bank_id: str, version: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """New interviews of this version's instrument start on it (admin); a retired version comes back."""
    from ..store.banks import instrument_key

    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        bank = _bank_store(ctx).activate(session, bank_id, version)
    finally:
        session.close()
    click.echo(t("banks.cli.now_active", bank=bank_id, version=version, instrument=instrument_key(bank)))


@click.command("retire")
@click.argument("bank_id")
@click.argument("version")
@passphrase_options()
@click.pass_context
def bank_retire(ctx: click.Context, bank_id: str, version: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """No new interviews on this version (admin); its records stay readable."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        _bank_store(ctx).retire(session, bank_id, version)
    finally:
        session.close()
    click.echo(t("banks.cli.retired", bank=bank_id, version=version))


COMMANDS = (bank_versions, bank_publish, bank_publish_map, bank_activate, bank_retire)
