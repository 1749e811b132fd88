"""CLI commands: reports (registered on `main` by importing this module)."""
