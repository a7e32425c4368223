"""Markets: country -> region, subregion, default currency, language and time zone."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pipeline.common.errors import PipelineError

DEFAULT_MARKETS: Final = Path(__file__).parent / "data" / "markets.toml"
Region = Literal["EMEA", "APAC", "AMERICAS"]
_REGIONS: Final = frozenset({"EMEA", "APAC", "AMERICAS"})
_SUBREGIONS: Final = frozenset(
    {
        "Europe",
        "North America",
        "Latin America",
        "Greater China",
        "Asia-Pacific",
        "Middle East & Africa",
    }
)


class MarketsError(PipelineError):
    """The markets file is malformed; the message names the country and field to fix."""


@dataclass(frozen=True, slots=True)
class Market:
    country: str
    name: str
    region: Region
    subregion: str
    currency: str
    language: str
    timezone: str
    eu: bool = False


def load_markets(path: str | Path | None = None) -> Mapping[str, Market]:
    """Country code -> Market, from the shipped table or a replacement file of the same shape."""
    file = Path(path) if path is not None else DEFAULT_MARKETS
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MarketsError(f"cannot read markets file {file}: {exc}") from exc
    return {country.upper(): _market(country.upper(), entry) for country, entry in raw.items()}


@lru_cache(maxsize=1)
def default_markets() -> Mapping[str, Market]:
    """The shipped table, read once per process."""
    return load_markets()


def market_of(country: str | None, markets: Mapping[str, Market]) -> Market | None:
    """The market of a country code, or None when the country is missing or unknown."""
    return markets.get(country.upper()) if country else None


def _market(country: str, entry: Mapping[str, object]) -> Market:
    try:
        market = Market(
            country=country,
            name=str(entry["name"]),
            region=entry["region"],  # type: ignore[arg-type]  # checked just below
            subregion=str(entry["subregion"]),
            currency=str(entry["currency"]),
            language=str(entry["language"]),
            timezone=str(entry["timezone"]),
            eu=bool(entry.get("eu", False)),
        )
    except KeyError as exc:
        raise MarketsError(f"market {country} lacks field {exc.args[0]!r}") from exc
    if market.region not in _REGIONS or market.subregion not in _SUBREGIONS:
        raise MarketsError(f"market {country}: unknown region {market.region}/{market.subregion}")
    try:
        ZoneInfo(market.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise MarketsError(f"market {country}: unknown time zone {market.timezone!r}") from exc
    return market
