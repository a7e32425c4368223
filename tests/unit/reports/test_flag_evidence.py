"""A flag's detail in plain values: weekly counts, distinct scrubbed verbatims, words for scores."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.reports.flag_detail import file_name
from pipeline.reports.flag_evidence import (
    Said,
    distinct_verbatims,
    explain_method,
    explain_score,
    weekly_counts,
)

PRODUCT = ("Acme", "Cool 3000", "2024")
LEAK = "The compressor has been leaking refrigerant since the second week of use"


def said(cid: str, day: int, text: str, language: str | None = "en", **kw: object) -> Said:
    fields: dict[str, object] = {
        "complaint_id": cid,
        "product": PRODUCT,
        "at": datetime(2024, 5, day, 9, tzinfo=UTC),
        "text": text,
        "language": language,
        "identifiers": (),
        "market": "DE",
    }
    fields.update(kw)
    return Said(**fields)  # type: ignore[arg-type]


def test_weekly_counts_run_monday_to_sunday_with_empty_weeks_and_nothing_outside() -> None:
    daily = [
        (date(2024, 5, 6), 2),  # Monday
        (date(2024, 5, 12), 1),  # Sunday, same week
        (date(2024, 5, 20), 4),
        (date(2024, 4, 28), 9),  # the Sunday before the first week: outside
    ]
    weeks = weekly_counts(daily, date(2024, 5, 8), date(2024, 5, 21))
    assert [(w.week_start, w.observed) for w in weeks] == [
        (date(2024, 5, 6), 3),
        (date(2024, 5, 13), 0),
        (date(2024, 5, 20), 4),
    ]


def test_reposts_and_texts_equal_once_scrubbed_are_one_verbatim_with_their_copies() -> None:
    complaints = [
        said("C3", 9, LEAK + "!!", language="en"),  # a repost of C1, filed later
        said("C1", 2, LEAK, language="en"),
        said("C1", 2, LEAK, language="en"),  # the same complaint on a second component
        said("C4", 5, "Lüfter laut, ruf an: +49 171 2345678", language="de"),
        said("C5", 6, "Lüfter laut, ruf an: +49 30 1234567", language=None),
        said("C6", 7, "Noisy fan", language="en", product=("Acme", "Cool 3000", "2023")),
    ]

    verbatims = distinct_verbatims(complaints)

    assert [(v.text, v.language, v.filed_on, v.copies) for v in verbatims] == [
        (LEAK, "en", date(2024, 5, 2), 1),
        ("Lüfter laut, ruf an: [phone]", "de", date(2024, 5, 5), 1),
        ("Noisy fan", "en", date(2024, 5, 7), 0),
    ]


def test_a_verbatim_loses_its_own_customer_id_serial_and_contacts() -> None:
    complaint = said(
        "C1",
        3,
        "Kunde CUST-0042, Gerät SN-77-1, mail hans(at)example.de, 王先生",
        identifiers=("CUST-0042", "SN-77-1"),
    )
    [verbatim] = distinct_verbatims([complaint])
    assert verbatim.text == "Kunde [id], Gerät [id], mail [email], [name]"


def test_a_text_with_nothing_left_after_scrubbing_is_no_verbatim() -> None:
    assert distinct_verbatims([said("C1", 3, "  ---  ")]) == []


def test_methods_and_scores_are_explained_in_words() -> None:
    assert explain_method("baseline_5_in_30d") == (
        "Reference rule: raised when 5 complaints or repairs arrive within 30 days."
    )
    assert explain_method("complaint_signal").startswith("Complaint counts without an installed")
    assert explain_method("exposure_rate").startswith("Claims against units in service")
    assert explain_method("new_method") == "Raised by the new_method detector."
    evidence = {
        "observed": 7,
        "expected": 2.84,
        "window_days": 28,
        "peak_day": "2024-05-20",
        "chance": 0.0123,
    }
    assert explain_score(1.05, evidence) == (
        "Score 1.05: the strongest of the detector's tests as a multiple of its alarm threshold "
        "(1 is just at it). At its peak, 7 failures in 28 days up to 2024-05-20 against 2.8 "
        "expected. A count this high would come by chance with probability 0.012."
    )
    assert explain_score(2.0, {"observed": float("nan"), "chance": "x"}) == (
        "Score 2.00: the strongest of the detector's tests as a multiple of its alarm threshold "
        "(1 is just at it)."
    )


def test_flag_ids_become_file_names_that_stay_in_their_folder() -> None:
    assert file_name("5b0c8e36-6f0e-5d5e-9d53-2a0b8c7d1e2f") == (
        "5b0c8e36-6f0e-5d5e-9d53-2a0b8c7d1e2f"
    )
    assert file_name("../../etc/passwd") == "_.._etc_passwd"
    assert file_name("..") == "_"


@settings(max_examples=60, deadline=None)
@given(st.permutations(list(range(6))), st.lists(st.integers(0, 6), min_size=6, max_size=6))
def test_which_verbatims_and_how_many_copies_do_not_depend_on_the_order_read(
    order: list[int], texts: list[int]
) -> None:
    variants = [
        LEAK,
        LEAK + " again",
        "Lüfter laut, ruf an: +49 171 2345678",
        "Lüfter laut, ruf an: +49 30 1234567",
        "Noisy fan",
        "Noisy fan!!",
        "The display flickers whenever the compressor starts up in the morning",
    ]
    # C0 is filed twice (two rows of one complaint), the others once.
    complaints = [said(f"C{i % 5}", 1 + i, variants[t]) for i, t in enumerate(texts)]

    def summary(read: list[Said]) -> set[tuple[str, date, int]]:
        return {(v.text, v.filed_on, v.copies) for v in distinct_verbatims(read)}

    assert summary([complaints[i] for i in order]) == summary(complaints)
