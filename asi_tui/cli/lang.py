"""One language at a time on the command line, help and errors included.

The language is chosen before click parses anything, so `asi-tui --help` is
already in it: `--lang` wherever it stands, else `lang` in the settings file,
else the locale environment (LC_ALL, LC_MESSAGES, LANG: `en…` → English,
`sv…` → Swedish), else Swedish.

Help texts: a command's help is the locale key `cli.help.<path>` (e.g.
`cli.help.record.import`) and an option's `cli.help.<path>.<option>` (the
option's longest name without dashes, `-` -> `_`; `--help` is `<path>.help`);
a missing key leaves the English text written beside the command. click's own words ("Usage:", "Error: …",
"No such option …") come from `locales/click/<lang>.yaml`, a table from
click's English message to ours, put in place of click's gettext lookups.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Any

import click
import yaml

from ..i18n import LANGUAGES, SAFE_LOADER, Translator
from ..resources import bundled_dir

# options that belong to `asi-tui` itself but are often typed after the command
GLOBAL_OPTIONS = ("--lang", "--data", "--user", "--idle-lock")
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types")


def language_from_env(environ: Mapping[str, str]) -> str | None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value[:2].lower()
            return code if code in LANGUAGES else None
    return None


def language_in_args(args: list[str]) -> str | None:
    """The value of the last `--lang X` / `--lang=X` in `args`, if it is a language."""
    found = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--lang="):
            found = arg.split("=", 1)[1]
    return found if found in LANGUAGES else None


def choose_language(args: list[str], settings_lang: str | None, environ: Mapping[str, str]) -> str:
    return language_in_args(args) or settings_lang or language_from_env(environ) or "sv"


def hoist_global_options(group: click.Group, args: list[str]) -> list[str]:
    """`asi-tui demo --data X` means `asi-tui --data X demo`: move the global
    options typed after the command in front of it, unless the command has an
    option of that name itself (`run --user`, `audit show --user`)."""
    first = next((i for i, a in enumerate(args) if not a.startswith("-") and a in group.commands), None)
    if first is None:
        return args
    command: click.Command = group.commands[args[first]]
    for arg in args[first + 1 :]:  # down to the command that will parse the options
        if not isinstance(command, click.Group) or arg.startswith("-"):
            break
        if arg in command.commands:
            command = command.commands[arg]
    own = {opt for p in command.params for opt in getattr(p, "opts", [])}
    head, tail, moved, rest = list(args[:first]), args[first:], [], []
    i = 0
    while i < len(tail):
        arg = tail[i]
        if arg == "--":
            rest.extend(tail[i:])
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_OPTIONS and name not in own:
            step = 1 if "=" in arg else 2
            moved.extend(tail[i : i + step])
            i += step
            continue
        rest.append(arg)
        i += 1
    return head + moved + rest


@cache
def click_messages(lang: str) -> dict[str, str]:
    path = bundled_dir("locales") / "click" / f"{lang}.yaml"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=SAFE_LOADER) or {}  # noqa: S506 - a safe loader
    return {str(k): str(v) for k, v in data.items()}


def install_click_messages(lang: str) -> None:
    """Put our table in place of click's gettext lookups (English: click's own words)."""
    table = click_messages(lang)

    def gettext(message: str) -> str:
        return table.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)

    import importlib

    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


def _walk(command: click.Command, path: tuple[str, ...]) -> Any:
    yield command, path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


def translate_help(root: click.Command, t: Translator) -> None:
    """Set every command's and option's help text in `t`'s language (the English
    text written in the code is kept aside the first time, as the fallback)."""
    for command, path in _walk(root, ()):
        base = "cli.help." + (".".join(path) if path else "main")
        if not hasattr(command, "asi_help_en"):
            command.asi_help_en = command.help  # type: ignore[attr-defined]
            command.asi_short_en = command.short_help  # type: ignore[attr-defined]
        if t.has(base):
            command.help, command.short_help = t(base), None
        else:
            command.help, command.short_help = command.asi_help_en, command.asi_short_en  # type: ignore[attr-defined]
        _translate_placeholders(command, t.lang)
        for param in command.params:
            _translate_type_name(param, t.lang)
            if not isinstance(param, click.Option):
                continue
            if not hasattr(param, "asi_help_en"):
                param.asi_help_en = param.help  # type: ignore[attr-defined]
            key = f"{base}.{option_key(param)}"
            param.help = t(key) if t.has(key) else param.asi_help_en  # type: ignore[attr-defined]
        _translate_help_option(command, f"{base}.help", t)


_HELP_OPTION_EN = "Show this message and exit."
# click's placeholders in usage lines, which it never sends through gettext
_PLACEHOLDERS_EN = {"options_metavar": "[OPTIONS]", "subcommand_metavar": "COMMAND [ARGS]..."}
# type names (shown upper-cased as placeholders, and in "File '/tmp' is a directory.")
_TYPE_NAMES_EN = ("text", "integer", "float", "boolean", "choice", "path", "file", "directory", "filename")


def _translate_placeholders(command: click.Command, lang: str) -> None:
    """Set click's usage placeholders where the command uses click's own ones."""
    table = click_messages(lang)
    if not hasattr(command, "asi_placeholders_en"):
        command.asi_placeholders_en = {  # type: ignore[attr-defined]
            attr: getattr(command, attr) for attr in _PLACEHOLDERS_EN if getattr(command, attr, None) == _PLACEHOLDERS_EN[attr]}
    for attr, english in command.asi_placeholders_en.items():  # type: ignore[attr-defined]
        setattr(command, attr, table.get(english, english))


def _translate_type_name(param: click.Parameter, lang: str) -> None:
    """Set the name of the parameter's type in `lang` (the English name is kept
    aside the first time; click's shared types such as STRING are set each run)."""
    kind = param.type
    if not hasattr(kind, "asi_name_en"):
        if getattr(kind, "name", None) not in _TYPE_NAMES_EN:
            return
        kind.asi_name_en = kind.name  # type: ignore[attr-defined]
    english = kind.asi_name_en  # type: ignore[attr-defined]
    kind.name = click_messages(lang).get(english, english)


def _translate_help_option(command: click.Command, key: str, t: Translator) -> None:
    """`--help` is not in `command.params`: click makes it on first use and keeps
    it, its text frozen in the language of that moment. Set it every time."""
    option = command.get_help_option(click.Context(command))
    if option is not None:
        option.help = t(key) if t.has(key) else click_messages(t.lang).get(_HELP_OPTION_EN, _HELP_OPTION_EN)


def option_key(param: click.Option) -> str:
    longest = max(param.opts, key=len)
    return longest.lstrip("-").replace("-", "_")


def prepare(root: click.Group, args: list[str], settings_lang: str | None) -> tuple[str, list[str]]:
    """Before parsing: choose the language, translate click and the help texts,
    and move global options in front of the command. Returns (lang, args)."""
    args = hoist_global_options(root, args)
    lang = choose_language(args, settings_lang, os.environ)
    install_click_messages(lang)
    translate_help(root, Translator(lang))
    return lang, args
