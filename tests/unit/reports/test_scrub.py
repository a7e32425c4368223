"""Personal data never reaches a report's verbatims."""

from __future__ import annotations

import pytest

from pipeline.reports.flags import scrubbed_verbatims
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
            "customer number 123456 and order 9876543210",
            "customer number [number] and order [number]",
        ),
        # Eight digits are a valid Singapore mobile number: over-scrubbing beats a leak.
        ("Call 9123 4567 after six", "Call [phone] after six"),
        ("ＴＥＬ ０９０−１２３４−５６７８", "TEL [phone]"),
        ("電話 090ー1234ー5678 まで", "電話 [phone] まで"),
        ("tel. +81 90-1234-5678", "tel. [phone]"),
        ("appelez le 06 12 34 56 78", "appelez le [phone]"),
        ("ring 020 7946 0018", "ring [phone]"),
        ("write to name(at)example.com", "write to [email]"),
        ("write to name [at] example [dot] com", "write to [email]"),
        ("write to name＠example．com", "write to [email]"),
        ("write to name at example dot co dot uk please", "write to [email] please"),
        ("车牌闽A939SS被撞了", "车牌[plate]被撞了"),
        ("京A·12345 parked", "[plate] parked"),
        ("粤B D12345 (new energy)", "[plate] (new energy)"),
        ("plate 沪AD12345", "plate [plate]"),
        ("王先生说压缩机坏了", "[name]说压缩机坏了"),
        ("联系李女士和张小姐", "联系[name]和[name]"),
        ("欧阳娜娜女士和张小明先生来电", "[name]和[name]来电"),
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
        "Serviced 2024-03-01 at 10:30 and on 01.04.2024, 1.5 bar, -5 degrees",
        "look at this dot matrix printer, and that at home.",
        "新iPhone坏了, 请问先生, 小姐姐说不清楚",
        "コーヒーメーカーが壊れました",
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


@pytest.mark.parametrize(
    "text",
    [
        "I am customer CUST-0042, please help",
        "my number is cust0042",
        "Kundennummer ＣＵＳＴ－００４２",
        "ref cust_0042.",
    ],
)
def test_scrubs_the_complaints_own_customer_id_however_it_is_written(text: str) -> None:
    scrubbed = scrub_personal_data(text, identifiers=["CUST-0042"])

    assert "0042" not in scrubbed
    assert "[id]" in scrubbed


def test_an_id_inside_a_longer_word_or_number_is_not_the_id() -> None:
    text = "batch XCUST-00420 and CUST-0042X are part numbers"

    assert scrub_personal_data(text, identifiers=["CUST-0042"]) == text


def test_reads_numbers_as_written_in_the_complaints_market() -> None:
    assert scrub_personal_data("请打13800138000找我", regions=["CN"]) == "请打[phone]找我"
    assert scrub_personal_data("请打13800138000找我") == "请打[number]找我"


def test_verbatims_lose_their_own_customer_id_and_serial_and_repeat_none() -> None:
    complaints = [
        ("I am CUST-7 with unit SN-123456A", "CUST-7", "SN-123456A", "DE"),
        ("I am CUST-7 with unit SN-123456A", "CUST-7", "SN-123456A", "DE"),
        (None, "CUST-8", None, None),
        ("call 030 2345678", "CUST-9", None, "DE"),
    ]

    assert scrubbed_verbatims(complaints) == [
        "I am [id] with unit [id]",
        "call [phone]",
    ]
