"""Warranty status and months in service per market and product category."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipeline.enrichment.warranty import (
    WarrantyTerms,
    WarrantyTermsError,
    add_months,
    load_warranty_terms,
    warranty_status,
    whole_months_between,
)


@pytest.fixture(scope="module")
def terms() -> WarrantyTerms:
    return load_warranty_terms()


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def test_eu_members_get_at_least_two_years(terms: WarrantyTerms) -> None:
    sold = date(2023, 3, 15)
    last_day = warranty_status(sold, at(date(2025, 3, 15)), "DE", "appliance", None, terms)
    day_after = warranty_status(sold, at(date(2025, 3, 16)), "DE", "appliance", None, terms)

    assert (last_day.status, last_day.expires_on) == ("in_warranty", date(2025, 3, 15))
    assert day_after.status == "expired"
    assert last_day.coverage is not None
    assert last_day.coverage.scope == "EU/*"


@pytest.mark.parametrize("country", ["FR", "PL", "IE", "ES", "IT", "NL"])
def test_every_eu_member_uses_the_eu_guarantee(terms: WarrantyTerms, country: str) -> None:
    assert terms.coverage(country, "vehicle").months >= 24


def test_country_terms_take_precedence_over_the_eu_group(terms: WarrantyTerms) -> None:
    assert terms.coverage("SE", "appliance").months == 36


def test_leap_day_sale_expires_on_the_last_day_of_february(terms: WarrantyTerms) -> None:
    sold = date(2024, 2, 29)
    status = warranty_status(sold, at(date(2026, 2, 28)), "DE", None, None, terms)

    assert (status.status, status.expires_on, status.months_in_service) == (
        "in_warranty",
        date(2026, 2, 28),
        24,
    )
    assert warranty_status(sold, at(date(2026, 3, 1)), "DE", None, None, terms).status == "expired"


def test_months_in_service_count_whole_months_across_month_ends() -> None:
    assert whole_months_between(date(2024, 1, 31), date(2024, 2, 28)) == 0
    assert whole_months_between(date(2024, 1, 31), date(2024, 2, 29)) == 1
    assert whole_months_between(date(2023, 12, 15), date(2024, 12, 14)) == 11
    assert whole_months_between(date(2023, 12, 15), date(2024, 12, 15)) == 12
    assert whole_months_between(date(2024, 5, 1), date(2024, 5, 1)) == 0


def test_adding_months_clamps_to_the_shorter_month() -> None:
    assert add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)


def test_unknown_market_falls_back_to_default_terms(terms: WarrantyTerms) -> None:
    status = warranty_status(date(2024, 1, 10), at(date(2024, 6, 1)), "XX", "vehicle", None, terms)

    assert status.coverage is not None
    assert status.coverage.scope == "default/vehicle"
    assert status.status == "in_warranty"


def test_missing_market_and_category_use_the_default_catch_all(terms: WarrantyTerms) -> None:
    assert terms.coverage(None, None).scope == "default/*"


def test_no_sale_date_means_unknown(terms: WarrantyTerms) -> None:
    status = warranty_status(None, at(date(2024, 6, 1)), "DE", "vehicle", None, terms)

    assert (status.status, status.months_in_service, status.expires_on) == ("unknown", None, None)


def test_event_before_the_sale_is_unknown_not_negative(terms: WarrantyTerms) -> None:
    status = warranty_status(date(2024, 6, 2), at(date(2024, 6, 1)), "DE", None, None, terms)

    assert (status.status, status.months_in_service) == ("unknown", None)


def test_usage_over_the_limit_expires_the_warranty_early(terms: WarrantyTerms) -> None:
    sold, event = date(2023, 1, 1), at(date(2024, 1, 1))

    assert warranty_status(sold, event, "CN", "vehicle", 59_000, terms).status == "in_warranty"
    assert warranty_status(sold, event, "CN", "vehicle", 61_000, terms).status == "expired"
    assert warranty_status(sold, event, "CN", "vehicle", None, terms).status == "in_warranty"


def test_event_date_is_taken_in_the_event_own_offset(terms: WarrantyTerms) -> None:
    # 00:30 on 16 March in Shanghai is still 15 March in UTC, but the customer's day is the 16th.
    shanghai = timezone(timedelta(hours=8))
    sold = date(2023, 3, 15)
    late = datetime(2024, 3, 16, 0, 30, tzinfo=shanghai)

    assert warranty_status(sold, late, "CN", None, None, terms).status == "expired"


def test_terms_file_without_default_is_rejected(tmp_path: Path) -> None:
    broken = tmp_path / "warranty.toml"
    broken.write_text('[terms.DE]\n"*" = { months = 24 }\n', encoding="utf-8")

    with pytest.raises(WarrantyTermsError, match="default"):
        load_warranty_terms(broken)
