"""Money in one reporting currency, from a dated table of reference rates; never a guessed rate."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from pipeline.common.errors import PipelineError

DEFAULT_RATES: Final = Path(__file__).parent / "data" / "fx_rates.toml"
REPORTING_CURRENCY: Final = "EUR"
# ISO 4217 minor units where they are not 2; amounts are rounded to the reporting currency's.
_MINOR_UNITS: Final[Mapping[str, int]] = {"JPY": 0, "KRW": 0, "ISK": 0, "IDR": 0}


class RatesError(PipelineError):
    """The rates file is malformed or lacks the reporting currency; fix the named entry."""


@dataclass(frozen=True, slots=True)
class Rates:
    """Units of each currency per one unit of `base`, as published on `as_of` by `source`."""

    base: str
    as_of: date
    source: str
    per_base: Mapping[str, Decimal]
    reporting: str = REPORTING_CURRENCY


def load_rates(path: str | Path | None = None, reporting: str = REPORTING_CURRENCY) -> Rates:
    """Rates from the shipped ECB table (or a file of the same shape), reporting in `reporting`."""
    file = Path(path) if path is not None else DEFAULT_RATES
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
        meta = raw["meta"]
        per_base = {code.upper(): Decimal(str(value)) for code, value in raw["rates"].items()}
        as_of = meta["as_of"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, InvalidOperation) as exc:
        raise RatesError(f"cannot read rates file {file}: {exc!r}") from exc
    if not isinstance(as_of, date):
        raise RatesError(f"{file}: meta.as_of must be a date (YYYY-MM-DD)")
    if any(rate <= 0 for rate in per_base.values()):
        raise RatesError(f"{file}: every rate must be positive")
    base, reporting = str(meta.get("base", "EUR")).upper(), reporting.upper()
    for needed in (base, reporting):
        if needed not in per_base:
            raise RatesError(f"{file}: add a rate for {needed}")
    return Rates(base, as_of, str(meta.get("source", "")), per_base, reporting)


def to_reporting(amount: Decimal, currency: str, rates: Rates) -> Decimal | None:
    """`amount` in `currency` converted to the reporting currency; None for an unknown currency."""
    rate_from = rates.per_base.get(currency.upper())
    if rate_from is None:
        return None
    converted = amount * rates.per_base[rates.reporting] / rate_from
    exponent = Decimal(1).scaleb(-_MINOR_UNITS.get(rates.reporting, 2))
    return converted.quantize(exponent)
