"""Typed errors of the training layer.

`TrainingError` subclasses `StoreError` so every front end that already shows
a store error as one translated line (the CLI's AsiGroup, the screens) shows
these too; the key is a `train.` locale key.
"""

from __future__ import annotations

from ..store.errors import NotAuthorized, StoreError

__all__ = ["NotAuthorized", "TrainingError"]


class TrainingError(StoreError):
    key = "train.error.generic"
