"""Cryptographic building blocks of the store (see shared storage-design.md).

* AES-256-GCM with random 96-bit nonces and associated data (AD) that binds a
  ciphertext to where it belongs (record id, generation, sequence number).
* Argon2id stretches passphrases; parameters are bounded before the KDF runs
  so a tampered vault cannot demand absurd work, and the fast test profile is
  refused unless the test harness enabled it in-process.
* X25519 "sealed boxes" (ephemeral key + HKDF + AES-GCM) wrap the vault key to
  each user's public key, so an admin can rotate the vault key without knowing
  anyone's passphrase.
* Ed25519 signs the user table and audit checkpoints.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_LEN = 32
NONCE_LEN = 12
MAX_PASSPHRASE_BYTES = 4096

# Argon2id bounds (memory in KiB). Floor: OWASP's minimum (19 MiB, t=2);
# ceiling: what a tampered vault may demand before we refuse to try.
PRODUCTION_KDF = {"m": 65536, "t": 3, "p": 1}
TEST_KDF = {"m": 8, "t": 1, "p": 1}
KDF_MIN = {"m": 19456, "t": 2, "p": 1}
KDF_MAX = {"m": 1048576, "t": 10, "p": 8}

_test_kdf_allowed = False


class CryptoError(Exception):
    """Decryption or verification failed: wrong key, or the data was altered."""


class KdfParamsRejected(CryptoError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def allow_test_kdf(allowed: bool = True) -> None:
    """Let the fast KDF profile through. Only the test harness calls this."""
    global _test_kdf_allowed
    _test_kdf_allowed = allowed


def test_kdf_allowed() -> bool:
    return _test_kdf_allowed


def canonical(obj: object) -> bytes:
    """The one byte form of a JSON document that signatures are made over."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def b64e(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64d(text: object) -> bytes:
    if not isinstance(text, str):
        raise CryptoError("expected base64 text")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise CryptoError("bad base64") from None


def random_key() -> bytes:
    return os.urandom(KEY_LEN)


def normalize_passphrase(passphrase: str) -> bytes:
    """NFC-normalised UTF-8, so that "å" typed as one or two code points unlocks alike."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def check_kdf_params(kdf: object) -> dict[str, int]:
    """Validate stored KDF parameters before running the KDF."""
    if not isinstance(kdf, dict) or kdf.get("alg") != "argon2id":
        raise KdfParamsRejected("unsupported KDF")
    try:
        params = {k: int(kdf[k]) for k in ("m", "t", "p")}
    except (KeyError, TypeError, ValueError):
        raise KdfParamsRejected("KDF parameters missing") from None
    if params == TEST_KDF:
        if not _test_kdf_allowed:
            raise KdfParamsRejected("test-profile KDF parameters are refused outside tests")
        return params
    for k in ("m", "t", "p"):
        if params[k] < KDF_MIN[k] or params[k] > KDF_MAX[k]:
            raise KdfParamsRejected(f"KDF parameter {k}={params[k]} outside [{KDF_MIN[k]}, {KDF_MAX[k]}]")
    return params


def new_kdf_params() -> dict[str, object]:
    params = TEST_KDF if _test_kdf_allowed else PRODUCTION_KDF
    return {"alg": "argon2id", **params, "salt": b64e(os.urandom(16))}


def derive_kek(passphrase: str, kdf: dict[str, object]) -> bytes:
    params = check_kdf_params(kdf)
    secret = normalize_passphrase(passphrase)
    if not secret or len(secret) > MAX_PASSPHRASE_BYTES:
        raise CryptoError("passphrase length")
    salt = b64d(kdf.get("salt"))
    if len(salt) < 16:
        raise CryptoError("salt too short")
    return Argon2id(
        salt=salt, length=KEY_LEN, iterations=params["t"], lanes=params["p"], memory_cost=params["m"]
    ).derive(secret)


# --------------------------------------------------------------------------- AEAD


def seal(key: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """nonce || ciphertext+tag."""
    nonce = os.urandom(NONCE_LEN)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, ad)


def open_sealed(key: bytes, blob: bytes, ad: bytes) -> bytes:
    if len(blob) < NONCE_LEN + 16:
        raise CryptoError("ciphertext too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_LEN], blob[NONCE_LEN:], ad)
    except (InvalidTag, ValueError):
        raise CryptoError("authentication failed") from None


def subkey(key: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_LEN, salt=None, info=purpose.encode()).derive(key)


# --------------------------------------------------------------------------- X25519 boxes


@dataclass(frozen=True)
class KeyPair:
    private: bytes
    public: bytes

    @classmethod
    def generate(cls) -> "KeyPair":
        sk = X25519PrivateKey.generate()
        return cls(
            sk.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
            sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        )


def box_seal(recipient_public: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """Encrypt to an X25519 public key: epk(32) || nonce || ct."""
    eph = X25519PrivateKey.generate()
    epk = eph.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    shared = eph.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key = HKDF(algorithm=hashes.SHA256(), length=KEY_LEN, salt=epk + recipient_public, info=b"asi-tui/box/v1").derive(
        shared
    )
    return epk + seal(key, plaintext, ad)


def box_open(private: bytes, blob: bytes, ad: bytes) -> bytes:
    if len(blob) < 32 + NONCE_LEN + 16:
        raise CryptoError("box too short")
    try:
        sk = X25519PrivateKey.from_private_bytes(private)
        epk = blob[:32]
        shared = sk.exchange(X25519PublicKey.from_public_bytes(epk))
    except ValueError:
        raise CryptoError("bad key") from None
    own_pub = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = HKDF(algorithm=hashes.SHA256(), length=KEY_LEN, salt=epk + own_pub, info=b"asi-tui/box/v1").derive(shared)
    return open_sealed(key, blob[32:], ad)


# --------------------------------------------------------------------------- Ed25519


def new_signing_key() -> tuple[bytes, bytes]:
    sk = Ed25519PrivateKey.generate()
    return (
        sk.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
        sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
    )


def sign(private: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).sign(message)


def verify(public: bytes, signature: bytes, message: bytes) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except Exception:  # InvalidSignature, ValueError on malformed keys
        raise CryptoError("signature does not verify") from None


def verify_any(publics: list[bytes], signature: bytes, message: bytes) -> None:
    """Verify with the first of `publics` that fits; CryptoError if none does."""
    for public in publics:
        try:
            verify(public, signature, message)
            return
        except CryptoError:
            continue
    raise CryptoError("signature does not verify")


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def x25519_public(private: bytes) -> bytes:
    return X25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def ed25519_public(private: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
