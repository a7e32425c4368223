"""Wire details shared by every emitted event: ids, event time in the market's zone, money."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from random import Random
from zoneinfo import ZoneInfo

from producers.simulator.catalogue import Market
from schemas.parts import Money

_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)
"""Random bits with the RFC 4122 version-4 and variant bits set, as uuid.uuid4 would."""


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(ts: int, market: Market) -> datetime:
    """Event time in the market's own time zone (aware, so it orders correctly across zones)."""
    return datetime.fromtimestamp(ts, zone(market.timezone))


def money(amount_eur: float, market: Market) -> Money:
    return _money(round(amount_eur * market.eur_rate, market.currency_decimals), market.currency)


@lru_cache(maxsize=16_384)
def _money(amount: float, currency: str) -> Money:
    # Costs repeat a lot (same part, same labour hours), and validating a Decimal is not cheap.
    decimals = 0 if currency == "JPY" else 2
    return Money(amount=Decimal(f"{amount:.{decimals}f}"), currency=currency)


def random_uuid(rng: Random) -> uuid.UUID:
    """A version-4 UUID from the run's generator, so event ids repeat with the seed."""
    return uuid.UUID(int=rng.getrandbits(128) & _VERSION_MASK | _VERSION_4)
