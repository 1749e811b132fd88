"""asi-tui: the ASI interview in the terminal."""

__version__ = "0.1.0"
