"""NHTSA complaint flat files: real slices, idempotent ids and every way a row can be skipped."""

from datetime import UTC, date, datetime
from pathlib import Path

from producers.sources import nhtsa
from producers.sources.nhtsa import read_complaints
from producers.sources.report import Skipped, SkipReport
from schemas.feedback import ComplaintFiled

FIXTURES = Path(__file__).parents[2] / "fixtures" / "nhtsa"
TOYOTA_FORD_TESLA = FIXTURES / "FLAT_CMPL_toyota_ford_tesla_slice.txt"
WEEK = FIXTURES / "FLAT_CMPL_week_2024-02-19_first100.txt"
MESSY = FIXTURES / "messy.txt"


def _rows_in(path: Path) -> int:
    return sum(1 for line in path.read_bytes().splitlines() if line.strip())


def _events(path: Path) -> list[ComplaintFiled]:
    return [item for item in read_complaints(path) if isinstance(item, ComplaintFiled)]


def test_reads_one_event_per_row_of_the_week_file_with_narratives() -> None:
    events = _events(WEEK)

    assert len(events) == _rows_in(WEEK) == 100
    first = events[0]
    assert first.complaint_id == "11572826"
    assert (first.product.brand, first.product.model, first.product.variant) == (
        "HYUNDAI",
        "TUCSON",
        "2016",
    )
    assert first.product.serial == "KM8J3CA22GU"
    assert first.component == "ENGINE"
    assert first.occurred_at == datetime(2024, 2, 19, tzinfo=UTC)
    assert first.incident_date == date(2024, 2, 13)
    assert first.market == "US"
    assert first.language == "en"
    assert first.customer is None
    assert first.text is not None
    assert first.text.startswith("While driving my car started to have trouble accelerating")


def test_skips_only_the_two_rows_of_the_slice_dated_long_before_their_model_year() -> None:
    items = list(read_complaints(TOYOTA_FORD_TESLA))

    skipped = [item for item in items if isinstance(item, Skipped)]
    assert len(items) == _rows_in(TOYOTA_FORD_TESLA) == 307
    assert [(s.line_no, s.reason) for s in skipped] == [
        (9, nhtsa.IMPLAUSIBLE_DATE),
        (12, nhtsa.IMPLAUSIBLE_DATE),
    ]


def test_falls_back_on_the_incident_date_when_the_received_date_is_missing() -> None:
    first = _events(TOYOTA_FORD_TESLA)[0]

    assert first.complaint_id == "11726419"
    assert first.incident_date == date(2026, 3, 22)
    assert first.occurred_at == datetime(2026, 3, 22, tzinfo=UTC)
    assert first.text is None


def test_gives_the_same_event_ids_when_the_file_is_read_twice() -> None:
    first_read = [event.event_id for event in _events(TOYOTA_FORD_TESLA)]
    second_read = [event.event_id for event in _events(TOYOTA_FORD_TESLA)]

    assert first_read == second_read


def test_one_complaint_on_several_components_gives_several_events_sharing_its_number() -> None:
    rows = [e for e in _events(TOYOTA_FORD_TESLA) if e.complaint_id == "11482624"]

    # The extract split "SERVICE BRAKES, HYDRAULIC" at its comma; the kind is filed under brakes.
    assert [e.component for e in rows] == [
        "SERVICE_BRAKES",
        "SERVICE_BRAKES:HYDRAULIC",
        "SERVICE_BRAKES",
    ]
    # NHTSA repeats the very same component row at times; one identity keeps it counted once.
    assert rows[0].event_id == rows[2].event_id != rows[1].event_id


def test_turns_each_kind_of_broken_row_into_its_skip_reason() -> None:
    skipped = {
        item.line_no: item.reason for item in read_complaints(MESSY) if isinstance(item, Skipped)
    }

    assert skipped == {
        3: nhtsa.WRONG_FIELD_COUNT,
        4: nhtsa.WRONG_FIELD_COUNT,
        5: nhtsa.MISSING_PRODUCT,
        6: nhtsa.MISSING_ID,
        7: nhtsa.NO_DATE,
        8: nhtsa.BAD_DATE,
        9: nhtsa.IMPLAUSIBLE_DATE,
        10: nhtsa.IMPLAUSIBLE_DATE,
        11: nhtsa.IMPLAUSIBLE_DATE,
        13: nhtsa.BAD_NUMBER,
        14: nhtsa.BAD_NUMBER,
        15: nhtsa.BAD_NUMBER,
        16: nhtsa.INVALID_EVENT,
    }


def test_decodes_lines_that_are_not_utf8_and_counts_them() -> None:
    report = SkipReport()
    events = [
        report.tally(item)
        for item in read_complaints(MESSY, on_recoded=report.note_recoded)
        if isinstance(item, ComplaintFiled)
    ]

    assert events[0].text == "The \u201ccheck engine\u201d light came on \u2013 twice."
    assert events[0].crash is True
    assert events[0].injuries == 2
    assert events[1].text == "Odd byte \x81 here."
    assert dict(report.recoded) == {"cp1252": 1, "latin-1": 1}


def test_reads_an_unknown_model_year_as_no_variant() -> None:
    by_id = {event.complaint_id: event for event in _events(MESSY)}

    assert by_id["19000012"].product.variant is None
    assert by_id["19000012"].component == "SEAT_BELTS:PRETENSIONER"


def test_reads_zero_miles_as_unknown_usage() -> None:
    by_id = {event.complaint_id: event for event in _events(MESSY)}

    assert by_id["19000001"].usage == 12000
    assert by_id["19000018"].usage is None
    assert by_id["19000018"].component == "FUEL_PROPULSION_SYSTEM"


def test_skips_dates_after_the_given_day(tmp_path: Path) -> None:
    row = MESSY.read_bytes().splitlines()[17]
    path = tmp_path / "one.txt"
    path.write_bytes(row.replace(b"\t20240219\t", b"\t\t") + b"\n")  # no DATEA to bound it

    assert [type(i) for i in read_complaints(path)] == [ComplaintFiled]
    (skipped,) = read_complaints(path, today=date(2024, 1, 30))
    assert isinstance(skipped, Skipped)
    assert skipped.reason == nhtsa.IMPLAUSIBLE_DATE


def test_passes_the_source_through() -> None:
    (event, *_) = read_complaints(WEEK, source="nhtsa-weekly")

    assert isinstance(event, ComplaintFiled)
    assert event.source == "nhtsa-weekly"
