"""The UI language: one translator, chosen before the app starts.

Binding descriptions are made when a screen class is created, so they are
`tk(key)`: a string in the language of that moment that also remembers its
locale key. The footer and the key screen draw them with `resolve`, which
looks the key up in the *current* language. So the language can change
between two apps in one process (the snapshot tests render Swedish and
English in one run) without re-creating the screen classes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..i18n import Translator

_current = Translator("sv")


def set_language(lang: str) -> None:
    global _current
    _current = Translator(lang)


def t(key: str, **params: object) -> str:
    return _current(key, **params)


def current() -> Translator:
    return _current


class Msg(str):
    """A translated text that remembers its locale key (see the module docstring)."""

    key: str

    def __new__(cls, key: str) -> "Msg":
        obj = super().__new__(cls, _current(key))
        obj.key = key
        return obj


def tk(key: str) -> Msg:
    """A binding description: the text of `key`, re-read in the current language when drawn."""
    return Msg(key)


def resolve(text: object) -> str:
    """`text` in the current language when it came from `tk`, else as it is."""
    return _current(text.key) if isinstance(text, Msg) else str(text)


# ---------------------------------------------------------------------- key names

_NAMED = {
    "escape", "enter", "tab", "backspace", "delete", "up", "down", "left", "right",
    "pageup", "pagedown", "home", "end", "space", "question_mark", "insert",
}


def key_name(key: str) -> str:
    """A key as the keyboard labels it, in the UI language: `ctrl+s` -> Ctrl+S, `escape` -> Esc."""
    parts = key.split("+")
    name = parts[-1]
    if name in _NAMED:
        shown = _current(f"ui.keyname.{name}")
    elif len(name) == 1:
        shown = name.upper() if len(parts) > 1 else name
    elif name[0] == "f" and name[1:].isdigit():
        shown = name.upper()
    else:
        shown = name.replace("_", " ").capitalize()
    mods = [_current(f"ui.keyname.{m}") for m in parts[:-1]]
    return "+".join([*mods, shown])


# ---------------------------------------------------------------------- user data and times


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def esc(text: object) -> str:
    """User data (client refs, names, typed answers) for a widget that reads markup:
    shown as typed, never as markup, an action or a terminal control sequence.

    Textual's markup opens a tag at a `[` that no backslash precedes, and reads
    `\\[` as `[`; so every `[` gets a backslash. A trailing backslash would
    escape the tag that follows in our own markup: a zero-width space ends it.
    """
    text = _CONTROL.sub("\ufffd", str(text)).replace("[", "\\[")
    return text + "\u200b" if text.endswith("\\") else text


def tm(key: str, **params: Any) -> str:
    """`t(key, **params)` for a markup widget: the text is ours, the parameters are
    escaped (they may be user data), and ISO timestamps are shown in local time."""
    return t(key, **{k: esc(local_time(v)) for k, v in params.items()})


def local_time(value: Any) -> Any:
    """An ISO UTC timestamp from the store (`2026-11-20T13:05:00+00:00`) as local
    `2026-11-20 14:05`; anything else unchanged."""
    if not isinstance(value, str) or len(value) < 19 or value[10:11] != "T":
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        return value
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
