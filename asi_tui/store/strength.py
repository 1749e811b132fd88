"""A minimum strength for new passphrases.

Length alone lets "aaaaaaaaaaaa", "123456789012" or the user id typed three
times through. This counts *tokens* the way a guesser would try them
(zxcvbn's idea, much simplified): a run of one repeated character, a run of
consecutive characters ("abcd", "4321") or of neighbouring keys ("qwerty"),
the user id, or a common word each count as one token, every other character
as one, and a passphrase that only repeats a shorter piece counts as that
piece. A new passphrase needs `MIN_LENGTH` characters and `MIN_TOKENS` tokens:
four unrelated words pass easily.
"""

from __future__ import annotations

import unicodedata

from . import crypto as C
from .errors import UserError, WeakPassphrase

MIN_LENGTH = 12
MIN_TOKENS = 8

_KEYBOARD_ROWS = ("1234567890", "qwertyuiopå", "asdfghjklöä", "zxcvbnm")
# Words guessers try first (Swedish and English); each counts as one token.
_COMMON_WORDS = (
    "password", "passord", "lösenord", "losenord", "hemligt", "hemlig", "secret", "qwerty", "admin", "welcome",
    "välkommen", "valkommen", "letmein", "iloveyou", "monkey", "dragon", "sommar", "vinter", "hösten", "våren",
    "sverige", "stockholm", "göteborg", "malmö", "kommun", "socialtjänst", "asdf", "test",
)
_PLACEHOLDER = "\0"


def _smallest_period(text: str) -> str:
    """"abcabcab" -> "abc": a passphrase that repeats a piece (at least twice)
    is as strong as the piece. Linear time (the KMP prefix function)."""
    n = len(text)
    border = [0] * n
    for i in range(1, n):
        k = border[i - 1]
        while k and text[i] != text[k]:
            k = border[k - 1]
        border[i] = k + 1 if text[i] == text[k] else 0
    period = n - border[-1] if n else 0
    return text[:period] if 0 < period <= n // 2 else text


def _run_length(text: str, i: int) -> int:
    """Length of the longest repeated, consecutive or keyboard-neighbour run at `i` (1 if none)."""
    best = 1
    j = i + 1
    while j < len(text) and text[j] == text[i] != _PLACEHOLDER:
        j += 1
    best = max(best, j - i)
    for step in (1, -1):
        j = i + 1
        while j < len(text) and _PLACEHOLDER not in (text[j], text[j - 1]) and ord(text[j]) - ord(text[j - 1]) == step:
            j += 1
        if j - i >= 3:
            best = max(best, j - i)
    for row in _KEYBOARD_ROWS:
        for line in (row, row[::-1]):
            j = i
            while j < len(text) and text[i : j + 1] in line:
                j += 1
            if j - i >= 3:
                best = max(best, j - i)
    return best


def tokens(passphrase: str, user_id: str | None = None) -> int:
    """How many guessable pieces `passphrase` is made of (see the module doc)."""
    text = _smallest_period(unicodedata.normalize("NFC", passphrase).casefold())
    words = sorted((w for w in _COMMON_WORDS if len(w) >= 4), key=len, reverse=True)
    if user_id and len(user_id) >= 3:
        words.insert(0, user_id.casefold())
    for word in words:
        text = text.replace(word, _PLACEHOLDER)
    count, i = 0, 0
    while i < len(text):
        i += _run_length(text, i)
        count += 1
    return count


def check_new_passphrase(passphrase: str, user_id: str | None = None) -> None:
    """UserError (one clear message saying what is required) unless `passphrase`
    is long enough, not too long, and made of at least MIN_TOKENS tokens."""
    text = unicodedata.normalize("NFC", passphrase)
    if len(text) < MIN_LENGTH:
        raise UserError("store.error.passphrase_short", min=MIN_LENGTH)
    if len(text.encode()) > C.MAX_PASSPHRASE_BYTES:
        raise UserError("store.error.passphrase_long")
    if tokens(text, user_id) < MIN_TOKENS:
        raise WeakPassphrase(None, min=MIN_LENGTH)
