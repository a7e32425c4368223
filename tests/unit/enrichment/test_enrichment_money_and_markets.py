"""Currency conversion from a dated rates table, and the market table."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.enrichment.currency import Rates, RatesError, load_rates, to_reporting
from pipeline.enrichment.markets import MarketsError, default_markets, load_markets, market_of

REQUIRED = [
    "EUR",
    "USD",
    "GBP",
    "CNY",
    "JPY",
    "BRL",
    "INR",
    "AUD",
    "CHF",
    "SEK",
    "PLN",
    "KRW",
    "MXN",
    "CAD",
    "ZAR",
    "TRY",
]


@pytest.fixture(scope="module")
def rates() -> Rates:
    return load_rates()


def test_rates_table_states_its_date_source_and_covers_the_required_currencies(
    rates: Rates,
) -> None:
    assert rates.as_of == date(2024, 11, 25)
    assert "ECB" in rates.source
    assert set(REQUIRED) <= set(rates.per_base)


def test_converts_to_euro_at_the_ecb_rate(rates: Rates) -> None:
    assert to_reporting(Decimal("104.95"), "USD", rates) == Decimal("100.00")
    assert to_reporting(Decimal("76.018"), "cny", rates) == Decimal("10.00")
    assert to_reporting(Decimal("12.34"), "EUR", rates) == Decimal("12.34")


def test_unknown_currency_gives_none_not_a_guess(rates: Rates) -> None:
    assert to_reporting(Decimal("100"), "XYZ", rates) is None


def test_reports_in_another_currency_with_its_minor_unit() -> None:
    in_yen = load_rates(reporting="JPY")

    assert to_reporting(Decimal("1"), "EUR", in_yen) == Decimal("162")
    assert to_reporting(Decimal("1.0495"), "USD", in_yen) == Decimal("162")


def test_rates_file_without_the_reporting_currency_is_rejected(tmp_path: Path) -> None:
    file = tmp_path / "fx.toml"
    file.write_text('[meta]\nas_of = 2024-01-02\n[rates]\nEUR = "1"\n', encoding="utf-8")

    with pytest.raises(RatesError, match="USD"):
        load_rates(file, reporting="USD")


@pytest.mark.parametrize(
    ("country", "region", "subregion", "currency", "language", "zone"),
    [
        ("DE", "EMEA", "Europe", "EUR", "de", "Europe/Berlin"),
        ("CN", "APAC", "Greater China", "CNY", "zh", "Asia/Shanghai"),
        ("US", "AMERICAS", "North America", "USD", "en", "America/New_York"),
        ("BR", "AMERICAS", "Latin America", "BRL", "pt", "America/Sao_Paulo"),
        ("ZA", "EMEA", "Middle East & Africa", "ZAR", "en", "Africa/Johannesburg"),
        ("jp", "APAC", "Asia-Pacific", "JPY", "ja", "Asia/Tokyo"),
    ],
)
def test_maps_country_to_region_currency_language_and_zone(
    country: str, region: str, subregion: str, currency: str, language: str, zone: str
) -> None:
    market = market_of(country, default_markets())

    assert market is not None
    assert (market.region, market.subregion, market.currency, market.language, market.timezone) == (
        region,
        subregion,
        currency,
        language,
        zone,
    )


def test_marks_exactly_the_27_eu_members() -> None:
    assert sum(market.eu for market in default_markets().values()) == 27
    assert not default_markets()["GB"].eu


def test_unknown_or_missing_country_has_no_market() -> None:
    assert market_of("XX", default_markets()) is None
    assert market_of(None, default_markets()) is None


def test_market_file_with_unknown_time_zone_is_rejected(tmp_path: Path) -> None:
    file = tmp_path / "markets.toml"
    file.write_text(
        '[XX]\nname = "X"\nregion = "EMEA"\nsubregion = "Europe"\ncurrency = "EUR"\n'
        'language = "en"\ntimezone = "Mars/Olympus"\n',
        encoding="utf-8",
    )

    with pytest.raises(MarketsError, match="Mars/Olympus"):
        load_markets(file)
