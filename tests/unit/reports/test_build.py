"""The report built from hand-written readings, without a warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline.casebook.facts import DealerInfo, RepairFacts
from pipeline.reports import ReportError, build_report, report_scope
from pipeline.reports.model import FlagTotals
from pipeline.reports.readings import (
    CaseLine,
    DealerFacts,
    FlagReading,
    RepairsWithParts,
    ReportReadings,
    StoredFlag,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
RAISED = datetime(2024, 5, 20, 9, 0, tzinfo=UTC)


def flag_on_every_variant(evidence: dict[str, object]) -> FlagReading:
    return FlagReading(
        flag=StoredFlag(
            flag_id="F1",
            brand="Acme",
            model="Cool 3000",
            variant="*",
            component="COMPRESSOR",
            method="complaint_signal",
            status="open",
            score=2.5,
            severity="high",
            first_raised_at=RAISED,
            closed_at=None,
            evidence=evidence,
        ),
        daily={date(2024, 5, 18): 2, date(2024, 5, 19): 3, date(2024, 4, 1): 1},
        variants_seen=["2024", "2023"],
        complaints=[
            ("Call me on +49 30 1234567, unit SN-1 is loud", "C1", "SN-1", "DE"),
            ("Call me on +49 30 1234567, unit SN-1 is loud", "C1", "SN-1", "DE"),
        ],
        recalls=[],
    )


def readings(*flags: FlagReading, complete: bool = False) -> ReportReadings:
    scope = report_scope(since=None, brand=None, model=None, now=NOW)
    dealer = DealerInfo(dealer_id="D1", country="DE", ownership="franchised", group="G")
    repair = RepairFacts("R1", "D1", "SN-1", "COMPRESSOR", NOW - timedelta(days=3), "fixed", 1, 1)
    return ReportReadings(
        scope=scope,
        complete=complete,
        flags=list(flags),
        flag_totals=FlagTotals(open=len(flags), open_serious=len(flags)),
        failures=[
            ("Acme", "Cool 3000", "COMPRESSOR", None, 4),
            ("Acme", "Heat 10", None, "leak", 1),
        ]
        + [("Acme", f"M{i}", "FAN", "noise", 1) for i in range(8)],
        repairs_with_parts=RepairsWithParts(
            parts=[("R1", "P-1", "S1", True), ("R2", "P-2", "S2", False)], repeated={"R2"}
        ),
        cases=[
            CaseLine("open", NOW - timedelta(days=40), NOW - timedelta(days=1), None, 1, True),
            CaseLine("closed", NOW - timedelta(days=9), NOW, NOW - timedelta(days=5), None, False),
        ],
        answers=[],
        themes=[("de", "COMPRESSOR:VALVE", None, 3)],
        corrective_actions={},
        dealers=DealerFacts(
            dealers=[dealer],
            names={"D1": "Dealer One"},
            tickets=[],
            repairs=[repair],
            feedback=[],
            cases=[],
            followups=[],
        ),
    )


def test_a_flag_on_every_variant_names_the_variants_read_and_its_windows_failures() -> None:
    evidence = {"observed": 5, "expected": 1.0, "window_days": 7, "peak_day": "2024-05-19"}

    report = build_report(readings(flag_on_every_variant(evidence)))

    (section,) = report.flags
    assert section.variants == ["2024", "2023"]
    assert section.window_start == date(2024, 5, 13)
    assert section.window_observed == 5
    assert section.verbatims == ["Call me on [phone], unit [id] is loud"]


def test_the_detectors_variants_come_before_those_read() -> None:
    evidence = {"variants": {"2022": 4}, "observed": 5, "expected": 1.0}

    (section,) = build_report(readings(flag_on_every_variant(evidence))).flags

    assert section.variants == ["2022 (4)"]


def test_rankings_keep_their_top_unless_the_reading_is_complete() -> None:
    top, complete = build_report(readings()), build_report(readings(complete=True))

    assert [p.model for p in top.pareto[:2]] == ["Cool 3000", "Heat 10"]
    assert (len(top.pareto), len(complete.pareto)) == (6, 10)
    assert top.pareto_totals.failures == complete.pareto_totals.failures == 13


def test_cases_parts_themes_and_dealers_are_shaped_from_the_readings() -> None:
    report = build_report(readings())

    assert (report.case_book.total, report.case_book.open, report.case_book.overdue) == (2, 1, 1)
    assert report.case_book.owner_fallbacks == 1
    assert report.case_book.median_days_to_confirmed == pytest.approx(4.0)
    assert (report.repeat_repairs.repairs_with_parts, report.repeat_repairs.repeated) == (2, 1)
    assert [(t.component, t.failure_mode) for t in report.voice.themes] == [
        ("COMPRESSOR", "unspecified")
    ]
    assert [(k.by, k.key, k.repairs) for k in report.kpis if k.by == "dealer"] == [
        ("dealer", "D1", 1)
    ]


def test_a_model_without_its_brand_or_a_naive_time_is_refused() -> None:
    with pytest.raises(ReportError, match="needs its brand"):
        report_scope(since=None, brand=None, model="Cool 3000", now=NOW)
    with pytest.raises(ReportError, match="timezone-aware"):
        report_scope(since=None, brand=None, model=None, now=NOW.replace(tzinfo=None))
