"""The footer: the keys of the current screen, named as the keyboard labels them
(Esc, Ctrl+S, F1) and described in the UI language, wrapped onto a second line
when one line of the terminal is too narrow (Textual's Footer cuts them off).

A screen leaves a key out of its footer with `FOOTER_OMIT` (action names);
every key, shown or not, is on the key screen (F1 or ?, `dialogs/keys.py`).
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from ..lang import Msg, resolve


_ENABLED, _DISABLED = Style(), Style(dim=True)


class FooterKey(NamedTuple):
    key: str  # as displayed
    description: str
    enabled: bool


def screen_keys(screen: object, *, shown_only: bool) -> list[FooterKey]:
    """The keys a screen answers to now, one entry per action, in the order the footer shows them.

    Only our own bindings count (their description is a locale text, `lang.tk`):
    Textual's built-in widget keys (cursor movement in lists) are not listed, and
    do not hide ours (a list's own Enter selects, which is what our Enter does).
    Reads the binding chain as Textual's `Screen.active_bindings` does (Textual is
    pinned exactly, see pyproject.toml).
    """
    omit: frozenset[str] = getattr(screen, "FOOTER_OMIT", frozenset()) if shown_only else frozenset()
    app = screen.app  # type: ignore[attr-defined]
    taken: set[str] = set()
    keys: dict[str, list[str]] = {}
    rows: dict[str, tuple[str, bool]] = {}
    for namespace, bindings in screen._modal_binding_chain:  # type: ignore[attr-defined]
        for key, binding in bindings:
            if not isinstance(binding.description, Msg) or key in taken:
                continue
            taken.add(key)
            state = app._check_action_state(binding.action, namespace)
            action = binding.action.removeprefix("app.")
            if state is False or action in omit or (shown_only and not binding.show):
                continue
            keys.setdefault(action, []).append(app.get_key_display(binding))
            rows.setdefault(action, (resolve(binding.description), bool(state)))
    return [FooterKey(keys[a][0] if shown_only else "/".join(dict.fromkeys(keys[a])), d, e) for a, (d, e) in rows.items()]


class KeyFooter(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"key-footer--key", "key-footer--description"}
    can_focus = False

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        self.refresh(layout=True)

    def _lines(self, width: int) -> tuple[list[list[FooterKey]], str]:
        """The keys in lines of at most `width` cells: two spaces between keys, or one
        when that saves a line."""
        keys = screen_keys(self.screen, shown_only=True)
        best: tuple[list[list[FooterKey]], str] | None = None
        for sep in ("  ", " "):
            lines: list[list[FooterKey]] = [[]]
            used = 0
            for k in keys:
                cells = len(k.key) + 1 + len(k.description)
                if lines[-1] and used + len(sep) + cells > width:
                    lines.append([])
                    used = 0
                used += cells + (len(sep) if lines[-1] else 0)
                lines[-1].append(k)
            if best is None or len(lines) < len(best[0]):
                best = (lines, sep)
        assert best is not None
        return best

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(max(width, 1))[0])

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-footer--key")
        text_style = self.get_component_rich_style("key-footer--description")
        out = Text(no_wrap=True, overflow="crop")
        lines, sep = self._lines(max(self.size.width, 1))
        for n, line in enumerate(lines):
            if n:
                out.append("\n")
            for i, k in enumerate(line):
                dim = _ENABLED if k.enabled else _DISABLED
                out.append(sep if i else "")
                out.append(k.key, key_style + dim)
                out.append(" " + k.description, text_style + dim)
        return out
