"""Command-palette providers: go to any visible item or section by its ASI id."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .lang import current, t


class ItemJumpProvider(Provider):
    def _targets(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        iv = getattr(screen, "interview", None)
        if iv is None:
            return []
        lang = current().lang
        out = []
        for s in iv.bank.sections:
            first = next((i for i in s.items if iv.is_visible(i.id)), None)
            if first is not None:
                out.append((f"{t('ui.cmd.section')} {s.title.get(lang)}", first.id, s.id))
        for item in iv.visible_items():
            out.append((f"{t('ui.cmd.item')} {item.id}", item.id, item.label.get(lang)[:60]))
        return out

    async def discover(self) -> Hits:
        for title, item_id, help_text in self._targets()[:12]:
            yield DiscoveryHit(title, partial(self.screen.jump_to, item_id), help=help_text)  # type: ignore[attr-defined]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, item_id, help_text in self._targets():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.screen.jump_to, item_id), help=help_text)  # type: ignore[attr-defined]
