"""Consistent pseudonyms: a keyed hash of the customer id, the same for every later event."""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

PSEUDONYM_PREFIX: Final = "anon-"
_HEX_CHARS: Final = 32
"""128 bits of HMAC-SHA256: collisions between customers are out of reach at any archive size."""


def pseudonym(customer_id: str, key: bytes) -> str:
    """What the warehouse stores in place of ``customer_id`` once the customer is erased.

    Keyed (HMAC-SHA256), so that nobody without the key can test a guessed id against it, and
    deterministic, so that an erased customer's later events count for the same pseudonym.
    """
    digest = hmac.new(key, customer_id.encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:_HEX_CHARS]


def is_pseudonym(value: str) -> bool:
    """True for a value shaped like a pseudonym (an id that needs no erasing)."""
    rest = value.removeprefix(PSEUDONYM_PREFIX)
    return rest != value and len(rest) == _HEX_CHARS and all(c in "0123456789abcdef" for c in rest)
