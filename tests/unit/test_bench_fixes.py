"""The effectiveness bench's helpers: what it collects from a stream and how it scores fixes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bench.detection_fixes import collect, summary
from pipeline.loop.effectiveness import Claim, Cohort
from tests.helpers import make

PRODUCT = {"brand": "Acme", "model": "Cool 3000", "variant": "2024"}


def test_collect_keeps_first_repairs_of_units_on_record_with_their_arrival() -> None:
    at = datetime(2024, 5, 1, 9, tzinfo=UTC)
    unit = {**PRODUCT, "serial": "SN-1", "lot": "L-1"}
    events = [
        make("units_sold.reported", 1, at, **PRODUCT, market="DE", month="2024-04", count=50),
        make("unit.sold", 2, at, product=unit, market="DE", sold_on="2024-04-20"),
        make("repair.completed", 3, at + timedelta(days=9), repair_id="R-1", product=unit,
             market="DE", component="HVAC:FAN"),
        # The same unit back for the same fault within 90 days: a repeat, not a new claim.
        make("repair.completed", 4, at + timedelta(days=20), repair_id="R-2", product=unit,
             market="DE", component="HVAC:FAN"),
        make("repair.completed", 5, at + timedelta(days=9), repair_id="R-3",
             product={**PRODUCT, "serial": "SN-unknown"}, market="DE", component="HVAC"),
    ]  # fmt: skip
    data = collect(events)
    product = ("Acme", "Cool 3000", "2024")
    assert data.sales[product] == [(date(2024, 5, 1), Cohort(date(2024, 4, 1), 50, "DE"))]
    assert data.units["SN-1"] == (product, date(2024, 4, 20), "L-1", "DE")
    assert data.claims[(product, "HVAC")] == [
        (date(2024, 5, 10), Claim(date(2024, 4, 20), date(2024, 5, 10), "DE"))
    ]


def test_summary_scores_the_first_conclusive_verdict_against_the_truth() -> None:
    def fix(works: bool, first: str, months: float | None) -> dict[str, object]:
        expected = "effective" if works else "not effective"
        return {"works": works, "first_verdict": first, "months_in_service": months,
                "right": first == expected}  # fmt: skip

    runs = [
        {"fixes": [fix(True, "effective", 4.0), fix(True, "not effective", 5.0)]},
        {"fixes": [fix(False, "not effective", 3.0), fix(False, "not yet known", None)]},
    ]
    found = summary(runs)
    assert found["working_classified_right"] == 0.5
    assert found["failing_classified_right"] == 0.5
    assert (found["wrong"], found["undecided"]) == (1, 1)
    assert found["median_months_in_service"] == 3.0
