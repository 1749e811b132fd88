"""`asi-tui … --help` in one language: every command and option has its help
text in Swedish and English (locales/{sv,en}/cli_help.yaml), the pages are
wholly in the chosen language, and they read well at 80 columns."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.cli.lang import option_key
from asi_tui.i18n import catalog

LANGS = ("sv", "en")
PAGES = ((), ("record",), ("record", "import"))  # the pages issue 12 names


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[click.Command, tuple[str, ...]]]:
    yield command, path
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


def options(command: click.Command) -> list[click.Option]:
    """The command's options as its --help lists them, --help included."""
    return [p for p in command.get_params(click.Context(command)) if isinstance(p, click.Option)]


def base_key(path: tuple[str, ...]) -> str:
    return "cli.help." + (".".join(path) if path else "main")


def tree_keys() -> dict[str, str]:
    """Every help key the click tree needs -> what it is, for failure messages."""
    keys = {}
    for command, path in walk(main):
        base = base_key(path)
        keys[base] = "asi-tui " + " ".join(path)
        for opt in options(command):
            keys[f"{base}.{option_key(opt)}"] = f"asi-tui {' '.join(path)} {max(opt.opts, key=len)}"
    return keys


def help_texts(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalog(lang).items() if k.startswith("cli.help.")}


def code_texts() -> set[str]:
    """The English help written beside the commands in the code."""
    texts = set()
    for command, _path in walk(main):
        texts.add(getattr(command, "asi_help_en", command.help) or "")
        for opt in command.params:  # --help is not among them: click makes it
            texts.add(getattr(opt, "asi_help_en", getattr(opt, "help", None)) or "")
    texts.add("Show this message and exit.")  # click's own --help line
    return {t for t in texts if t}


def flat(text: str) -> str:
    """Text as a wrapped help page shows it, with the line breaks taken out."""
    return re.sub(r"\s+", " ", re.sub(r"-\n\s+", "-", text)).strip()


def sentences(text: str) -> list[str]:
    """The parts of a help text long enough to tell its language."""
    parts = re.split(r"(?<=[.;:])\s+", flat(text))
    return [p for p in parts if len(p.split()) >= 2]


def first_sentence(text: str) -> str:
    return flat(text.partition("\n\n")[0]).split(". ")[0]


@pytest.fixture
def no_settings(tmp_path, monkeypatch):
    """No settings file and no locale in the environment: the default language."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "80")


def help_page(path: tuple[str, ...], lang: str | None) -> str:
    args = (["--lang", lang] if lang else []) + [*path, "--help"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return command


# ----------------------------------------------------------------------------- every key in both languages


@pytest.mark.parametrize("lang", LANGS)
def test_every_command_and_option_has_a_help_text(lang):
    texts = help_texts(lang)
    missing = [f"{key} ({what})" for key, what in tree_keys().items() if not texts.get(key, "").strip()]
    assert missing == [], f"no help text in locales/{lang}/cli_help.yaml for: " + ", ".join(missing)


@pytest.mark.parametrize("lang", LANGS)
def test_no_help_text_for_a_command_or_option_that_does_not_exist(lang):
    stale = sorted(set(help_texts(lang)) - set(tree_keys()))
    assert stale == []


def test_the_swedish_texts_are_translations():
    sv, en = help_texts("sv"), help_texts("en")
    same = sorted(k for k in sv if sv[k] == en.get(k))
    assert same == []


# ----------------------------------------------------------------------------- pages wholly in one language


def assert_page_in(lang: str, page: str, path: tuple[str, ...]) -> None:
    own, other = help_texts(lang), help_texts("en" if lang == "sv" else "sv")
    command = command_at(path)
    base = base_key(path)
    shown = flat(page)
    # what this page shows is the text of its language…
    assert flat(own[base]) in shown
    for opt in options(command):
        assert flat(own[f"{base}.{option_key(opt)}"]) in shown, opt.opts
    for name in getattr(command, "commands", {}):
        assert first_sentence(own[base_key((*path, name))]) in shown, name
    # …and nothing of the other language, nor the English written in the code
    foreign = {s for key in tree_keys() if key in other for s in sentences(other[key])}
    if lang == "sv":
        foreign |= {s for text in code_texts() for s in sentences(text)}
        foreign |= {"Usage:", "Options:", "Commands:", "[required]", "[default:"}
    else:
        foreign |= {"Användning:", "Flaggor:", "Kommandon:", "[krävs]", "[standard:"}
    # a part a key has in both languages (a path, a list of names) is no language
    foreign -= {s for key, text in own.items() if key in other for s in set(sentences(text)) & set(sentences(other[key]))}
    leaked = sorted(s for s in foreign if s in shown)
    assert leaked == [], f"{lang} page of asi-tui {' '.join(path)} shows: {leaked}"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: " ".join(p) or "main")
def test_help_is_swedish_by_default_and_english_with_lang_en(no_settings, path):
    # in this order on purpose: the --help line must follow the language of
    # each run, not the first one of the process
    assert_page_in("sv", help_page(path, None), path)
    assert_page_in("en", help_page(path, "en"), path)
    assert_page_in("sv", help_page(path, "sv"), path)


def test_lang_en_after_the_command_gives_the_english_page(no_settings):
    page = CliRunner().invoke(main, ["record", "import", "--help", "--lang", "en"]).output
    assert_page_in("en", page, ("record", "import"))


# ----------------------------------------------------------------------------- 80 columns


@pytest.mark.parametrize("lang", LANGS)
def test_no_help_text_has_a_token_click_cannot_wrap(lang):
    long = {key: tok for key, text in help_texts(lang).items() for tok in text.split() if len(tok) > 60}
    assert long == {}


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_fits_80_columns(no_settings, lang):
    """Every command's --help at 80 columns: no line wider, no entry in a
    command list cut short with "...", no date format or number range split
    over two lines."""
    problems = []
    for command, path in walk(main):
        page = help_page(path, lang)
        where = f"asi-tui {' '.join(path)} --help ({lang})"
        problems += [f"{where}: too wide: {line!r}" for line in page.splitlines() if len(line) > 80]
        commands = page.split("Kommandon:" if lang == "sv" else "Commands:", 1)
        if isinstance(command, click.Group) and len(commands) == 2 and "..." in commands[1]:
            problems.append(f"{where}: a command's first sentence is cut: {commands[1]!r}")
        problems += [f"{where}: split: {line!r}" for line in page.splitlines()
                     if re.search(r"(\d|YYYY|ÅÅÅÅ|MM)-$", line)]
    assert problems == []
