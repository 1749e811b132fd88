"""The Textual UI. Import `asi_tui.ui.app` only after `lang.set_language()`:
Textual fixes binding descriptions when the classes are created."""
