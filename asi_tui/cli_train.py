"""CLI commands: train (registered on `main` by importing this module)."""
