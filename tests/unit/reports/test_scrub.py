"""Personal data never reaches a report's verbatims."""

from __future__ import annotations

import pytest

from pipeline.reports.scrub import scrub_personal_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail me: jane.doe+car@mail.example.co.uk now", "Mail me: [email] now"),
        ("Call +49 30 1234 5678 please", "Call [phone] please"),
        ("Call 0049 171 2345678 please", "Call [phone] please"),
        ("phone (555) 123-4567 today", "phone [phone] today"),
        ("or 555-1234 at night", "or [phone] at night"),
        ("030 12345678", "[phone]"),
        ("VIN 1HGCM82633A004352 stalled", "VIN [vin] stalled"),
        ("vin wvwzzz1jzxw000001 lower case", "vin [vin] lower case"),
        (
            "customer number 123456 and order 98765432",
            "customer number [number] and order [number]",
        ),
    ],
)
def test_scrubs_contact_details_and_identifiers(text: str, expected: str) -> None:
    assert scrub_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "My 2019 Cool 3000 failed on 2024-03-01 at 65 mph",
        "Pressure 3.5 bar, 12 000 km, part 4711-22, postcode 10115",
        "INCOMPREHENSIBLES is a long word but no VIN",
    ],
)
def test_keeps_dates_models_and_ordinary_numbers(text: str) -> None:
    assert scrub_personal_data(text) == text


def test_tidies_whitespace_and_truncates_long_texts() -> None:
    text = "leak  \n" * 200

    scrubbed = scrub_personal_data(text, max_length=50)

    assert len(scrubbed) == 50
    assert scrubbed.endswith("…")
    assert "\n" not in scrubbed
