"""The product-improvement report against a known warehouse, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.reports import (
    FlagTotals,
    ParetoTotals,
    ReportData,
    build_report,
    report_published,
    report_scope,
    report_summary,
    write_report,
)
from pipeline.reports.flags import flag_sections
from pipeline.reports.quality import pareto, repeat_repairs
from pipeline.reports.scope import Scope
from pipeline.warehouse.read.flags import report_flags
from pipeline.warehouse.read.quality import failure_counts, repairs_with_parts
from pipeline.warehouse.read.report import read_report
from pipeline.warehouse.tables import (
    CaseRow,
    ComplaintRow,
    DealerRow,
    DefectFlagRow,
    FeedbackRow,
    RecallRow,
    RepairPartRow,
    RepairRow,
    SignatureCountRow,
)
from tests.conftest import both_warehouses

pytestmark = pytest.mark.integration

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SINCE = date(2024, 3, 1)
PERSONAL = ("hans.meier@example.de", "2345678", "WVWZZZ1JZXW000001", "12345678", "CUST-")


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def _repair(
    n: int, serial: str, dealer: str, component: str, mode: str, day: str, **kw: Any
) -> RepairRow:
    fields: dict[str, Any] = {
        "event_id": f"r{n}",
        "repair_id": f"R-{n}",
        "serial": serial,
        "brand": "Acme",
        "model": "Cool 3000",
        "variant": "2024",
        "customer_id": f"CUST-{n:04d}",
        "market": "FR" if dealer == "D3" else "DE",
        "dealer_id": dealer,
        "component": component,
        "failure_mode": mode,
        "outcome": "fixed",
        "labour_hours": 1.5,
        "genuine_parts": 1,
        "non_genuine_parts": 0,
        "occurred_at": at(day),
    }
    fields.update(kw)
    return RepairRow(**fields)


def _part(repair: int, position: int, part: str, supplier: str, genuine: bool) -> RepairPartRow:
    return RepairPartRow(
        repair_event_id=f"r{repair}",
        position=position,
        part_number=part,
        supplier=supplier,
        genuine=genuine,
        quantity=1,
    )


def _complaint(n: int, text: str | None, language: str, day: str, **kw: Any) -> ComplaintRow:
    fields: dict[str, Any] = {
        "event_id": f"c{n}",
        "complaint_id": f"CMP-{n}",
        "customer_id": f"CUST-9{n:03d}",
        "brand": "Acme",
        "model": "Cool 3000",
        "variant": "2024",
        "market": "DE",
        "component": "COMPRESSOR",
        "failure_mode": "leak",
        "crash": False,
        "fire": False,
        "injuries": 0,
        "deaths": 0,
        "text": text,
        "language": language,
        "occurred_at": at(day),
    }
    fields.update(kw)
    return ComplaintRow(**fields)


def _feedback(n: int, dealer: str, market: str, nps: int, csat: int, day: str) -> FeedbackRow:
    return FeedbackRow(
        event_id=f"f{n}",
        kind="survey",
        brand="Acme",
        model="Cool 3000",
        customer_id=f"CUST-8{n:03d}",
        dealer_id=dealer,
        market=market,
        nps=nps,
        csat=csat,
        occurred_at=at(day),
    )


def _case(n: int, status: str, opened: str, sla: str, **kw: Any) -> CaseRow:
    fields: dict[str, Any] = {
        "case_id": f"K{n}",
        "complaint_id": f"CMP-{n}",
        "customer_id": f"CUST-7{n:03d}",
        "dealer_id": "D1",
        "owner": "agent-1",
        "severity": "medium",
        "status": status,
        "reason": "complaint",
        "opened_at": at(opened),
        "sla_due_at": at(sla),
        "state": {},
    }
    fields.update(kw)
    return CaseRow(**fields)


def _flag(flag_id: str, variant: str, component: str, score: float, **kw: Any) -> DefectFlagRow:
    fields: dict[str, Any] = {
        "flag_id": flag_id,
        "brand": "Acme",
        "model": "Cool 3000",
        "variant": variant,
        "component": component,
        "method": "poisson_cusum",
        "status": "open",
        "score": score,
        "severity": "medium",
        "first_raised_at": at("2024-05-20"),
        "closed_at": None,
        "updated_at": at("2024-05-30"),
        "evidence": {},
    }
    fields.update(kw)
    return DefectFlagRow(**fields)


def _weekly_counts(
    variant: str, component: str, weekly: list[int], first: date
) -> list[SignatureCountRow]:
    """One row per week (on its Monday) with the given counts."""
    return [
        SignatureCountRow(
            brand="Acme",
            model="Cool 3000",
            variant=variant,
            component=component,
            day=first + timedelta(weeks=i),
            n=n,
            severe=0,
        )
        for i, n in enumerate(weekly)
        if n
    ]


def seed_known_warehouse(engine: Engine) -> None:
    """Dealers, repairs with parts, complaints, feedback, cases, flags, counts and recalls."""
    rows: list[Any] = [
        DealerRow(
            dealer_id="D1",
            name="Nord Service",
            country="DE",
            ownership="owned",
            group="Acme Retail",
        ),
        DealerRow(
            dealer_id="D2",
            name="Süd Partner",
            country="DE",
            ownership="franchised",
            group="Acme Retail",
        ),
        DealerRow(
            dealer_id="D3",
            name="Paris Froid",
            country="FR",
            ownership="franchised",
            group="Paris Group",
        ),
        _repair(1, "S1", "D1", "COMPRESSOR:VALVE", "leak", "2024-04-01"),
        _repair(2, "S2", "D1", "COMPRESSOR", "leak", "2024-04-02"),
        _repair(3, "S3", "D2", "COMPRESSOR", "noise", "2024-04-03"),
        _repair(4, "S4", "D2", "COMPRESSOR", "leak", "2024-04-04", non_genuine_parts=1),
        _repair(5, "S5", "D3", "FAN", "noise", "2024-04-05", genuine_parts=2),
        _repair(6, "S1", "D1", "COMPRESSOR", "leak", "2024-04-20", repeat_of="r1"),
        _repair(7, "S4", "D2", "COMPRESSOR", "leak", "2024-04-21", repeat_of="r4"),
        _repair(8, "S6", "D3", "FAN", "noise", "2024-04-22", genuine_parts=0, non_genuine_parts=1),
        _repair(9, "S6", "D3", "FAN", "noise", "2024-05-02", genuine_parts=0, repeat_of="r8"),
        _repair(10, "S9", "D1", "BURNER", "ignition", "2024-04-10", model="Heat 10"),
        _repair(11, "S10", "D1", "FAN", "noise", "2024-01-10"),  # before the period
        _part(1, 0, "P-100", "GenuineCo", True),
        _part(2, 0, "P-100", "GenuineCo", True),
        _part(3, 0, "P-100", "GenuineCo", True),
        _part(4, 0, "P-100", "GenuineCo", True),
        _part(4, 1, "P-200", "Cheapo", False),
        _part(5, 0, "P-100", "GenuineCo", True),
        _part(5, 1, "P-100", "GenuineCo", True),
        _part(6, 0, "P-300", "GenuineCo", True),
        _part(7, 0, "P-300", "GenuineCo", True),
        _part(8, 0, "P-200", "Cheapo", False),
        _part(11, 0, "P-200", "Cheapo", False),
        _complaint(
            1, "Kompressor leckt wieder, rufen Sie mich an: +49 171 2345678", "de", "2024-05-21"
        ),
        _complaint(
            2,
            "Compressor leaking since day one. Write to hans.meier@example.de,"
            " VIN WVWZZZ1JZXW000001",
            "de",
            "2024-05-10",
        ),
        _complaint(3, "Kompressor undicht, Kundennummer 12345678", "de", "2024-05-22"),
        _complaint(4, "Compressor hisses and leaks", "en", "2024-05-23", market="US"),
        _complaint(
            5,
            "Le ventilateur fait un bruit terrible",
            "fr",
            "2024-05-24",
            market="FR",
            component=None,
            component_inferred="FAN",
            failure_mode="noise",
        ),
        _feedback(1, "D1", "DE", 10, 5, "2024-04-10"),
        _feedback(2, "D1", "DE", 9, 4, "2024-04-11"),
        _feedback(3, "D1", "DE", 6, 2, "2024-05-10"),
        _feedback(4, "D1", "DE", 8, 4, "2024-05-11"),
        _feedback(5, "D3", "FR", 3, 1, "2024-05-12"),
        _case(1, "open", "2024-05-29", "2024-06-05"),
        _case(2, "escalated", "2024-05-10", "2024-05-20"),
        _case(3, "open", "2024-01-15", "2024-01-20", reopen_count=2),
        _case(
            4, "closed", "2024-04-01", "2024-04-10", confirmed_at=at("2024-04-11"), reopen_count=1
        ),
        _case(5, "closed", "2024-04-10", "2024-04-20", confirmed_at=at("2024-04-14")),
        _case(6, "closed", "2024-03-01", "2024-03-10", confirmed_at=at("2024-03-21")),
        _case(7, "closed", "2023-01-01", "2023-01-10", confirmed_at=at("2023-06-01")),  # before
        _flag(
            "F1",
            "*",
            "COMPRESSOR",
            7.5,
            severity="high",
            evidence={
                "observed": 12,
                "expected": 3.0,
                "window_days": 28,
                "peak_day": "2024-05-27",
                "markets": {"FR": 3, "DE": 9},
                "lots": ["L-7"],
                "sample_event_ids": ["c2"],
            },
        ),
        _flag("F2", "2024", "FAN", 3.1, first_raised_at=at("2024-05-01")),
        _flag("F3", "*", "FAN", 9.0, status="closed", closed_at=at("2024-01-01")),
        _flag(
            "F4", "*", "BURNER", 1.0, model="Heat 10", status="closed", closed_at=at("2024-05-25")
        ),
        RecallRow(
            event_id="rc1",
            recall_id="R-1",
            kind="safety",
            brand="Acme",
            model="Cool 3000",
            variants=["2024"],
            component="COMPRESSOR:VALVE",
            market="DE",
            announced_on=date(2024, 5, 28),
            summary="Replace valve seal",
        ),
        RecallRow(
            event_id="rc2",
            recall_id="R-2",
            kind="service",
            brand="Acme",
            model="Cool 3000",
            variants=["2023"],
            component="FAN",
            market="DE",
            announced_on=date(2024, 5, 28),
        ),
    ]
    monday = date(2024, 2, 5)
    rows += _weekly_counts(
        "*", "COMPRESSOR", [1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 3, 5, 6], monday
    )
    rows += _weekly_counts("2024", "COMPRESSOR", [0] * 14 + [2, 4, 5], monday)
    rows += _weekly_counts("2023", "COMPRESSOR", [0] * 14 + [1, 1, 1], monday)
    rows += _weekly_counts("2024", "FAN", [1, 2, 1, 0, 2, 1, 1, 0, 1, 2, 1, 4, 4, 5, 3, 4], monday)
    with Session(engine) as session, session.begin():
        session.add_all(rows)


def build(engine: Engine, **kw: Any) -> ReportData:
    seed_known_warehouse(engine)
    return report_of(engine, since=kw.pop("since", SINCE), **kw)


def report_of(
    engine: Engine,
    since: date | None = None,
    brand: str | None = None,
    model: str | None = None,
    **kw: Any,
) -> ReportData:
    scope = report_scope(since=since, brand=brand, model=model, now=NOW)
    return build_report(read_report(engine, scope, **kw))


@both_warehouses()
def test_report_numbers_match_the_known_warehouse(warehouse: Engine, tmp_path: Path) -> None:
    report = build(warehouse)

    assert [f.flag_id for f in report.flags] == ["F1", "F2", "F4"]
    assert report.flag_totals == FlagTotals(open=2, open_serious=1, closed=1)
    f1, f2 = report.flags[0], report.flags[1]
    # The detector's 28 days to its peak day hold the weeks of 6, 13, 20 and 27 May.
    assert (f1.window_start, f1.window_end) == (date(2024, 4, 30), date(2024, 5, 27))
    assert f1.window_observed == sum(p.in_window for p in f1.trend) == 1 + 3 + 5 + 6
    assert f1.shown_observed == 15
    assert f1.component_name == "Compressor"
    assert f1.summary.startswith("Compressor on Acme Cool 3000 (all variants): 15 failures in")
    assert f1.markets == ["DE (9)", "FR (3)"]
    assert f1.lots == ["L-7"]
    assert f1.variants == ["2024", "2023"]
    assert f1.expected_source == "evidence"
    assert {p.expected for p in f1.trend} == {0.75}
    assert sum(p.observed for p in f1.trend) == 23
    assert [r.recall_id for r in f1.recalls] == ["R-1"]
    assert len(f1.verbatims) == 3
    assert f1.verbatims[0].startswith(
        "Compressor leaking since day one. Write to [email], VIN [vin]"
    )
    assert f2.expected_source == "baseline"
    assert f2.recalls == []
    assert f2.verbatims == ["Le ventilateur fait un bruit terrible"]
    week = next(i for i, p in enumerate(f2.trend) if p.week_start == date(2024, 4, 29))
    prior = [p.observed for p in f2.trend[week - 8 : week]]
    assert f2.trend[week].expected == pytest.approx(sum(prior) / 8)

    assert report.pareto_totals == ParetoTotals(models=2, failures=15)
    cool = next(p for p in report.pareto if p.model == "Cool 3000")
    assert report.pareto[0] is cool
    assert [(b.component, b.failure_mode, b.count) for b in cool.bars] == [
        ("COMPRESSOR", "leak", 8),
        ("FAN", "noise", 4),
        ("COMPRESSOR", "noise", 1),
        ("COMPRESSOR:VALVE", "leak", 1),
    ]
    assert cool.bars[1].cumulative_share == pytest.approx(12 / 14)

    repeats = report.repeat_repairs
    by_part = {r.key: (r.repeated, r.repairs) for r in repeats.by_part}
    assert by_part == {"P-100": (2, 5), "P-200": (2, 2), "P-300": (0, 2)}
    assert next(r.rate for r in repeats.by_part if r.key == "P-100") == pytest.approx(0.4)
    assert {r.key: (r.repeated, r.repairs) for r in repeats.by_supplier} == {
        "Cheapo": (2, 2),
        "GenuineCo": (2, 7),
    }
    assert [(r.key, r.repeated, r.repairs) for r in repeats.by_genuine] == [
        ("non-genuine", 2, 2),
        ("genuine", 2, 7),
    ]
    assert (repeats.repairs_with_parts, repeats.repeated) == (8, 3)

    book = report.case_book
    assert (book.total, book.open, book.overdue) == (6, 3, 2)
    assert [b.count for b in book.open_by_age] == [1, 1, 0, 1]
    assert (book.reopened_cases, book.reopen_events, book.confirmed) == (2, 3, 3)
    assert book.median_days_to_confirmed == pytest.approx(10.0)

    voice = report.voice
    de = {p.month: p.nps for p in voice.by_market if p.key == "DE"}
    assert de == {"2024-04": 100.0, "2024-05": -50.0}
    d1_may = next(p for p in voice.by_dealer if (p.key, p.month) == ("D1", "2024-05"))
    assert d1_may.csat_mean == pytest.approx(3.0)
    assert voice.nps == pytest.approx(100 * (2 - 2) / 5)
    themes = [(t.language, t.component, t.failure_mode, t.count) for t in voice.themes]
    assert themes == [
        ("de", "COMPRESSOR", "leak", 3),
        ("en", "COMPRESSOR", "leak", 1),
        ("fr", "FAN", "noise", 1),
    ]

    d1 = next(k for k in report.kpis_by("dealer") if k.key == "D1")
    assert d1.label == "Nord Service (D1)"
    assert d1.nps == pytest.approx(25.0)
    assert d1.csat_mean == pytest.approx(3.75)
    retail = next(k for k in report.kpis_by("group") if k.key == "Acme Retail")
    assert retail.dealers == 2
    assert retail.repeat_repair_rate == pytest.approx(2 / 7)


@both_warehouses()
def test_every_format_renders_without_personal_data(warehouse: Engine, tmp_path: Path) -> None:
    report = build(warehouse)

    paths = {fmt: write_report(report, fmt, tmp_path) for fmt in ("html", "md", "json")}

    html = paths["html"].read_text(encoding="utf-8")
    markdown = paths["md"].read_text(encoding="utf-8")
    as_json = paths["json"].read_text(encoding="utf-8")
    assert ReportData.model_validate_json(as_json) == report
    assert len(re.findall(r'<svg [^>]*class="chart"', html)) >= 6
    assert "<img" not in html
    assert "http://" not in html
    assert "https://" not in html
    assert 'observed <b class="observed">15</b> vs expected <b>3.0</b> in 28 days' in html
    assert "The detector counted 12 when it last judged this flag" in html
    assert "Top 2 of 2 open flags (1 high or critical)" in html
    assert "| P-100 | 5 | 2 | 40.0 % |" in markdown
    charts = sorted(p.name for p in (tmp_path / f"{report.report_id}_charts").iterdir())
    assert {"flag-0.svg", "pareto-0.svg", "repeat-part.svg"} <= set(charts)
    assert f"]({report.report_id}_charts/flag-0.svg)" in markdown
    for text in (html, markdown, as_json):
        for secret in PERSONAL:
            assert secret not in text
        assert "Nord Service" in text


@both_warehouses()
def test_brand_and_model_filters_narrow_the_report(warehouse: Engine) -> None:
    seed_known_warehouse(warehouse)

    report = report_of(warehouse, brand="Acme", model="Heat 10")

    assert [f.flag_id for f in report.flags] == ["F4"]
    assert [(p.model, p.total) for p in report.pareto] == [("Heat 10", 1)]
    assert report.repeat_repairs.repairs_with_parts == 0
    assert report.report_id == "report-acme-heat-10-20240601T120000Z"


@both_warehouses()
def test_report_of_an_empty_warehouse_still_renders(warehouse: Engine, tmp_path: Path) -> None:
    report = report_of(warehouse)

    assert (report.flags, report.pareto, report.kpis) == ([], [], [])
    assert report.case_book.median_days_to_confirmed is None
    for fmt in ("html", "md", "json"):
        assert write_report(report, fmt, tmp_path).stat().st_size > 0


@both_warehouses()
def test_summary_is_small_and_fits_the_published_event(warehouse: Engine) -> None:
    import uuid

    report = build(warehouse)

    summary = report_summary(report)
    event = report_published(report, event_id=uuid.UUID(int=1), source="test")

    assert summary["flags_open"] == 2
    assert [f["flag_id"] for f in summary["top_flags"]] == ["F1", "F2", "F4"]
    assert summary["top_flags"][0]["recalls"] == ["R-1"]
    assert summary["cases_overdue"] == 2
    assert len(json.dumps(summary)) < 2000
    assert event.summary == summary
    assert event.period_start == datetime(2024, 3, 1, tzinfo=UTC)


@both_warehouses()
def test_rankings_keep_their_top_and_the_true_totals_and_json_keeps_everything(
    warehouse: Engine,
) -> None:
    seed_known_warehouse(warehouse)
    scope = Scope(since=SINCE, brand=None, model=None, now=NOW)

    with Session(warehouse) as session:
        flags, totals = report_flags(session, scope, limit=1)
        failures, fitted = failure_counts(session, scope), repairs_with_parts(session, scope)
    top = flag_sections(flags)
    models, pareto_totals = pareto(failures, models=1)
    repeats = repeat_repairs(fitted, limit=1)
    complete = report_of(warehouse, since=SINCE, complete=True)

    assert [f.flag_id for f in top] == ["F1"]
    assert totals == FlagTotals(open=2, open_serious=1, closed=1)
    assert [(p.model, p.total) for p in models] == [("Cool 3000", 14)]
    assert pareto_totals == ParetoTotals(models=2, failures=15)
    assert (len(repeats.by_part), repeats.parts, repeats.suppliers) == (1, 3, 2)
    assert [f.flag_id for f in complete.flags] == ["F1", "F2", "F4"]
    assert len(complete.pareto) == 2
