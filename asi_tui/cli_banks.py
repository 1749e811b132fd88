"""CLI commands: banks (registered on `main` by importing this module)."""
