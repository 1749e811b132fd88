"""Pseudonymous keys for one export run.

Every key is HMAC-SHA256 over a record id or a client reference with a
random key made for this run and never stored, cut to 16 hex digits: the
rows of one run (its interview and dropout files) can be joined, two runs
cannot, and no key leads back to a record id or a client reference.

* `interview_key` names one interview;
* `linked_key` is the interview a follow-up links to, `grund_key` the ASI
  Grund its chain of follow-ups starts from (a Grund's own key for a Grund),
  whether or not those interviews are in the file;
* `client_key` names the client: the client reference of the chain's
  Grund, so a Grund and its follow-ups share it even when the reference was
  typed differently at the follow-up.

Chains are followed through the record index (no record is decrypted),
bounded and safe against loops.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any, Iterable, Mapping

from ..engine.limits import same_client_key

KEY_HEX = 16
MAX_CHAIN = 64


class Pseudonyms:
    def __init__(self, docs: Iterable[Mapping[str, Any]], secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.export_id = secrets.token_hex(8)  # names the run in its codebooks, so its files belong together
        # rid -> (linked rid, normalised client reference, instrument): small, from the index
        self._docs: dict[str, tuple[str | None, str, str]] = {
            str(d["rid"]): (d.get("linked_rid") or None, same_client_key(d.get("client_ref")), str(d.get("instrument") or ""))
            for d in docs
            if d.get("rid")
        }

    def _mac(self, kind: str, text: str) -> str:
        return hmac.digest(self._secret, f"{kind}\x00{text}".encode(), "sha256").hex()[:KEY_HEX]

    def interview(self, rid: str | None) -> str:
        return self._mac("rid", rid) if rid else ""

    def chain(self, rid: str) -> list[str]:
        """The interviews `rid` links back through, nearest first (not `rid` itself)."""
        out: list[str] = []
        seen = {rid}
        current = self._docs.get(rid, (None, "", ""))[0]
        while current and current not in seen and len(out) < MAX_CHAIN:
            out.append(current)
            seen.add(current)
            current = self._docs.get(current, (None, "", ""))[0]
        return out

    def root(self, rid: str) -> str:
        chain = self.chain(rid)
        return chain[-1] if chain else rid

    def grund(self, rid: str) -> str:
        """The key of the Grund the chain starts from ("" when it does not start with one)."""
        root = self.root(rid)
        return self.interview(root) if self._docs.get(root, (None, "", ""))[2] == "grund" else ""

    def client(self, rid: str, client_ref: object = None) -> str:
        ref = (self._docs.get(self.root(rid), (None, "", ""))[1] or self._docs.get(rid, (None, "", ""))[1]
               or same_client_key(client_ref))
        return self._mac("client", ref) if ref else ""


