"""Encrypted, crash-safe, multi-user record store (shared storage-design.md)."""
