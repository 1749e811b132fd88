"""CLI commands: publishing bank versions, migration maps, locale coverage.

Registered on the `bank` group of `asi_tui.cli` by importing this module.
Admin commands never import the UI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .cli import _resolve_bank, _translator
from .cli import bank as bank_group


def passphrase_options():  # noqa: ANN201
    """The same options as `cli_store.passphrase_options()`.

    Not imported from there: under `python -m asi_tui.cli`, cli_store is still
    half-imported when this module loads, so its names do not exist yet."""

    def deco(f):  # noqa: ANN001, ANN202
        f = click.option("--passphrase-fd", "passphrase_fd", type=int, help="Read the passphrase from this file descriptor.")(f)
        f = click.option("--passphrase-file", "passphrase_file", type=click.Path(path_type=Path),
                         help="Read the passphrase from the first line of this file.")(f)
        return f

    return deco


def _data_dir(ctx: click.Context) -> Path:
    from .cli_store import _data_dir as data_dir

    return data_dir(ctx)


def _unlock(ctx: click.Context, file: Path | None, fd: int | None):  # noqa: ANN202
    from .cli_store import _unlock as unlock

    return unlock(ctx, file, fd)


def _bank_store(ctx: click.Context):  # noqa: ANN202
    from .store.banks import BankStore
    from .store import Store

    return BankStore.for_store(Store.open(_data_dir(ctx)))


def _print_problems(problems: list[Any], err: bool = False) -> None:
    for p in problems:
        click.echo(str(p), err=err)


def _refused(ctx: click.Context, exc: Any, what: str) -> click.ClickException:
    t = _translator(ctx)
    _print_problems(exc.problems)
    return click.ClickException(t("banks.cli.refused", what=what, n=len(exc.problems)))


def _warnings(ctx: click.Context, problems: list[Any]) -> None:
    t = _translator(ctx)
    for p in problems:
        click.echo(f"{p.file}:{p.line}: {p.item}: {t('banks.cli.warning')}: {p.message}", err=True)


def _resolve_any(ctx: click.Context, ref: str):  # noqa: ANN202
    """A bank by file, bundled id, or `id@version` (published in the data directory, verified)."""
    path = Path(ref)
    if "@" in ref and not path.exists():
        from .store.banks import BankStore

        bank_id, _, version = ref.partition("@")
        return BankStore(_data_dir(ctx)).load(bank_id, version)
    return _resolve_bank(ref, _translator(ctx))


# ----------------------------------------------------------------------------- coverage


@bank_group.command("coverage")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 when a Swedish or English text is missing.")
@click.pass_context
def bank_coverage(ctx: click.Context, paths: tuple[Path, ...], strict: bool) -> None:
    """Texts missing in Swedish or English (and long texts identical in both: untranslated?)."""
    from .cli import _default_bank_paths

    t = _translator(ctx)
    missing, suspicious, broken = coverage_of(list(paths) or _default_bank_paths())
    _print_problems(broken)
    _print_problems(missing)
    _warnings(ctx, suspicious)
    if broken:
        raise click.ClickException(t("cli.bank.problems", n=len(broken)))
    if missing:
        click.echo(t("banks.cli.coverage_missing", n=len(missing), warnings=len(suspicious)), err=True)
        if strict:
            ctx.exit(1)
        return
    click.echo(t("banks.cli.coverage_clean", warnings=len(suspicious)))


def strict_coverage(ctx: click.Context, paths: list[Path]) -> list[Any]:
    """For `bank validate --strict`: prints the untranslated-text warnings and
    returns the missing texts as problems (printed and counted by validate)."""
    missing, suspicious, _broken = coverage_of(paths)  # broken banks: validate reports them itself
    _warnings(ctx, suspicious)
    return missing


def coverage_of(paths: list[Path]) -> tuple[list[Any], list[Any], list[Any]]:
    """(missing, suspicious, broken) for every bank and code list under `paths`, without duplicates.

    `bank validate --strict` can call this on the same paths."""
    from .bank.lint import codelist_coverage, locale_coverage
    from .bank.loader import BankError, iter_bank_files, load_bank, load_codelist
    from .bank.yamlsrc import YamlReadError, read_yaml

    missing: dict[str, Any] = {}
    suspicious: dict[str, Any] = {}
    broken: list[Any] = []
    for kind, f in iter_bank_files(paths):
        try:
            if kind == "codes":
                m, s = codelist_coverage(load_codelist(f), str(f), read_yaml(f))
            else:
                m, s = locale_coverage(load_bank(f))
        except BankError as exc:
            broken.extend(exc.problems)
            continue
        except YamlReadError:
            continue  # reported by the loader above in practice
        missing.update((str(p), p) for p in m)
        suspicious.update((str(p), p) for p in s)
    return list(missing.values()), list(suspicious.values()), broken


# ----------------------------------------------------------------------------- versions


@bank_group.command("versions")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@passphrase_options()
@click.pass_context
def bank_versions(ctx: click.Context, as_json: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Bundled and published versions: which is active, which retired, how many records use each."""
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
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


@bank_group.command("publish")
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
    from .bank.loader import BankError

    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    try:
        bs = _bank_store(ctx)
        try:
            info, reports = bs.publish(session, file, activate=not no_activate, maps=maps)
        except BankError as exc:
            raise _refused(ctx, exc, str(file)) from None
    finally:
        session.close()
    for report in reports:
        _warnings(ctx, report.warnings)
    click.echo(t("banks.cli.published", bank=info.bank_id, version=info.version, sha=info.sha256[:16]))
    if info.active:
        click.echo(t("banks.cli.now_active", bank=info.bank_id, version=info.version, instrument=info.instrument_key))
    for m in maps:
        click.echo(t("banks.cli.map_published", path=m))


@bank_group.command("publish-map")
@click.argument("map_file", metavar="MAP", type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the published map between the same two versions.")
@passphrase_options()
@click.pass_context
def bank_publish_map(ctx: click.Context, map_file: Path, replace: bool, passphrase_file: Path | None,
                     passphrase_fd: int | None) -> None:
    """Publish a migration map between two available versions (admin)."""
    from .bank.loader import BankError

    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    try:
        try:
            _info, report = _bank_store(ctx).publish_map(session, map_file, replace=replace)
        except BankError as exc:
            raise _refused(ctx, exc, str(map_file)) from None
    finally:
        session.close()
    _warnings(ctx, report.warnings)
    click.echo(t("banks.cli.map_published", path=map_file))


@bank_group.command("activate")
@click.argument("bank_id")
@click.argument("version")
@passphrase_options()
@click.pass_context
def bank_activate(ctx: click.Context, bank_id: str, version: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """New interviews of this version's instrument start on it (admin); a retired version comes back."""
    from .store.banks import instrument_key

    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    try:
        bank = _bank_store(ctx).activate(session, bank_id, version)
    finally:
        session.close()
    click.echo(t("banks.cli.now_active", bank=bank_id, version=version, instrument=instrument_key(bank)))


@bank_group.command("retire")
@click.argument("bank_id")
@click.argument("version")
@passphrase_options()
@click.pass_context
def bank_retire(ctx: click.Context, bank_id: str, version: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """No new interviews on this version (admin); its records stay readable."""
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    try:
        _bank_store(ctx).retire(session, bank_id, version)
    finally:
        session.close()
    click.echo(t("banks.cli.retired", bank=bank_id, version=version))


# ----------------------------------------------------------------------------- migration maps


@bank_group.command("suggest-map")
@click.argument("old")
@click.argument("new")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the map here instead of printing it.")
@click.pass_context
def bank_suggest_map(ctx: click.Context, old: str, new: str, output: Path | None) -> None:
    """A migration map skeleton from OLD to NEW (files, bundled ids or ID@VERSION): check every line."""
    t = _translator(ctx)
    text = suggest_map_text(ctx, old, new)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists():
        raise click.ClickException(t("banks.cli.exists", path=output))
    output.write_text(text, encoding="utf-8")
    click.echo(t("banks.cli.map_written", path=output))


def suggest_map_text(ctx: click.Context, old: str, new: str) -> str:
    """For `bank diff OLD NEW --suggest-map`."""
    from .bank.migration import suggest

    return suggest(_resolve_any(ctx, old), _resolve_any(ctx, new))


@bank_group.command("check-map")
@click.argument("map_file", metavar="MAP", type=click.Path(path_type=Path))
@click.option("--old", "old_ref", help="The old bank (file, bundled id or ID@VERSION); default: the map's `from`.")
@click.option("--new", "new_ref", help="The new bank; default: the map's `to`.")
@click.pass_context
def bank_check_map(ctx: click.Context, map_file: Path, old_ref: str | None, new_ref: str | None) -> None:
    """Validate a migration map against both banks; one line per problem."""
    from .bank.loader import BankError
    from .bank.migration import load_map

    t = _translator(ctx)
    try:
        lmap = load_map(map_file)
    except BankError as exc:
        _print_problems(exc.problems)
        raise click.ClickException(t("banks.cli.map_problems", n=len(exc.problems))) from None
    old = _resolve_any(ctx, old_ref or "@".join(lmap.source))
    new = _resolve_any(ctx, new_ref or "@".join(lmap.target))
    report = lmap.validate(old, new)
    _print_problems(report.errors)
    _warnings(ctx, report.warnings)
    if report.errors:
        raise click.ClickException(t("banks.cli.map_problems", n=len(report.errors)))
    click.echo(t("banks.cli.map_ok", warnings=len(report.warnings)))
