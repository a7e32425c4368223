"""NHTSA recall flat files become RecallAnnounced events."""

from datetime import UTC, date, datetime
from pathlib import Path

from producers.sources import nhtsa
from producers.sources.nhtsa import read_recalls
from producers.sources.report import Skipped
from schemas.reference import RecallAnnounced

RECALLS = Path(__file__).parents[2] / "fixtures" / "nhtsa" / "FLAT_RCL_toyota_ford_tesla_slice.txt"


def _recall_row(**changes: str) -> str:
    fields = [""] * 29
    fields[1], fields[2], fields[3], fields[4] = "24V001000", "TESLA", "MODEL 3", "2023"
    fields[6], fields[11], fields[15] = "STEERING:COLUMN", "1200", "20240105"
    fields[19], fields[20] = "The column may loosen.", "Loss of steering."
    positions = {"CAMPNO": 1, "MAKETXT": 2, "YEARTXT": 4, "POTAFF": 11, "RCDATE": 15}
    for name, value in changes.items():
        fields[positions[name]] = value
    return "\t".join(fields)


def test_reads_one_recall_per_row_of_the_real_slice() -> None:
    items = list(read_recalls(RECALLS))

    assert len(items) == len(RECALLS.read_bytes().splitlines()) == 51
    assert all(isinstance(item, RecallAnnounced) for item in items)
    first = items[0]
    assert isinstance(first, RecallAnnounced)
    assert (first.recall_id, first.brand, first.model, first.variants) == (
        "18V894000",
        "FORD",
        "F-150",
        ["2015"],
    )
    assert first.component == "ENGINE"
    assert first.market == "US"
    assert first.announced_on == date(2018, 12, 18)
    assert first.occurred_at == datetime(2018, 12, 18, tzinfo=UTC)
    assert first.summary is not None
    assert first.summary.endswith("increase the risk of a fire.")


def test_gives_the_same_recall_ids_when_read_twice() -> None:
    ids = [e.event_id for e in read_recalls(RECALLS) if isinstance(e, RecallAnnounced)]
    again = [e.event_id for e in read_recalls(RECALLS) if isinstance(e, RecallAnnounced)]

    assert ids == again
    assert len(set(ids)) == len(ids)


def test_reads_units_affected_and_drops_an_unknown_model_year(tmp_path: Path) -> None:
    path = tmp_path / "rcl.txt"
    path.write_text(_recall_row(YEARTXT="9999") + "\n", encoding="utf-8")

    (recall,) = read_recalls(path)

    assert isinstance(recall, RecallAnnounced)
    assert recall.variants == []
    assert recall.units_affected == 1200
    assert recall.component == "STEERING:COLUMN"
    assert recall.summary == "The column may loosen. Loss of steering."


def test_skips_broken_recall_rows_with_their_reasons(tmp_path: Path) -> None:
    rows = [
        "only\tthree\tfields",
        _recall_row(CAMPNO=""),
        _recall_row(MAKETXT=""),
        _recall_row(RCDATE=""),
        _recall_row(RCDATE="2024-01-05"),
        _recall_row(RCDATE="19400101"),
        _recall_row(POTAFF="many"),
    ]
    path = tmp_path / "rcl.txt"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    reasons = [item.reason for item in read_recalls(path) if isinstance(item, Skipped)]

    assert reasons == [
        nhtsa.WRONG_FIELD_COUNT,
        nhtsa.MISSING_ID,
        nhtsa.MISSING_PRODUCT,
        nhtsa.NO_DATE,
        nhtsa.BAD_DATE,
        nhtsa.IMPLAUSIBLE_DATE,
        nhtsa.BAD_NUMBER,
    ]
