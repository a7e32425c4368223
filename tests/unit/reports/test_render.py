"""Rendering a hand-built report: self-contained HTML, safe Markdown, JSON round trip, summary."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.reports import Extras, KpiTable, UnknownReportFormat, report_summary, write_report
from pipeline.reports.charts import all_charts, rates_svg
from pipeline.reports.model import (
    CaseBookSection,
    CustomerVoice,
    FlagSection,
    FlagTotals,
    KpiLine,
    RepeatRate,
    RepeatRepairs,
    ReportData,
    TrendPoint,
    VoicePoint,
)
from pipeline.reports.render import render_html, render_markdown

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def flag(**kw: Any) -> FlagSection:
    fields: dict[str, Any] = {
        "flag_id": "F1", "brand": "Acme", "model": "Cool 3000", "variant": "*",
        "component": "COMPRESSOR", "method": "cusum", "status": "open", "score": 4.0,
        "severity": "high", "first_raised_at": NOW, "closed_at": None, "observed": 12.0,
        "expected": 3.0, "window_days": 28, "markets": ["DE (9)"], "variants": ["2024"],
        "lots": [], "evidence": {"observed": 12}, "expected_source": "evidence",
        "trend": [TrendPoint(week_start=date(2024, 5, 20), observed=4, expected=0.75)],
        "verbatims": ["<script>alert(1)</script> | broken | table"], "recalls": [],
    }  # fmt: skip
    fields.update(kw)
    return FlagSection(**fields)


def report(**kw: Any) -> ReportData:
    fields: dict[str, Any] = {
        "report_id": "report-test",
        "generated_at": NOW,
        "period_start": date(2024, 3, 1),
        "brand": None,
        "model": None,
        "flags": [flag()],
        "pareto": [],
        "repeat_repairs": RepeatRepairs(
            repairs_with_parts=5,
            repeated=2,
            by_part=[RepeatRate(key="P-1", repairs=5, repeated=2, rate=0.4)],
            by_supplier=[],
            by_genuine=[],
        ),
        "case_book": CaseBookSection(
            total=0, open=0, overdue=0, open_by_age=[], reopened_cases=0, reopen_events=0,
            confirmed=0, median_days_to_confirmed=None,
        ),
        "voice": CustomerVoice(
            responses=1, csat_mean=4.0, nps=100.0, themes=[], by_dealer=[],
            by_market=[
                VoicePoint(key="DE", month="2024-05", responses=1, csat_mean=4.0, nps=100.0)
            ],
        ),
        "kpis": [
            KpiLine(
                by="dealer", key="D1", label="Nord (D1)", dealers=1, repairs=5,
                repairs_with_serial=5, repeat_repair_rate=0.4, first_time_fix_rate=0.6,
                genuine_parts_ratio=0.9, csat_mean=4.0, nps=100.0, responses=1, open_cases=0,
                overdue_cases=0,
            )
        ],
    }  # fmt: skip
    fields.update(kw)
    return ReportData(**fields)


def test_html_escapes_verbatims_and_references_nothing_outside() -> None:
    data = report()
    html = render_html(data, all_charts(data))

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert len(re.findall(r'<svg [^>]*class="chart"', html)) == len(all_charts(data)) == 3
    assert "<?xml" not in html
    assert "<img" not in html
    assert "http://" not in html
    assert "https://" not in html
    assert 'id="flag-0-' in html  # chart ids kept apart in one document
    assert '<meta name="viewport"' in html
    assert "Nord (D1)" in html


def test_markdown_keeps_table_rows_intact_and_links_charts_relatively() -> None:
    markdown = render_markdown(report(), {"flag-0": "report-test_charts/flag-0.svg"})

    assert "> &lt;script&gt;alert(1)&lt;/script&gt; \\| broken \\| table" in markdown
    assert "![Weekly failures against expected](report-test_charts/flag-0.svg)" in markdown
    assert "| P-1 | 5 | 2 | 40.0 % |" in markdown
    assert "| Nord (D1) | 1 | 5 | – | – | – | 40.0 % |" in markdown


def test_json_round_trips_to_the_same_report(tmp_path: Path) -> None:
    data = report()

    path = write_report(data, "json", tmp_path)

    assert path == tmp_path / "report-test.json"
    assert ReportData.model_validate_json(path.read_text(encoding="utf-8")) == data


def test_markdown_writes_its_charts_beside_it(tmp_path: Path) -> None:
    path = write_report(report(), "md", tmp_path)

    charts = tmp_path / "report-test_charts"
    assert (charts / "flag-0.svg").read_text(encoding="utf-8").startswith("<?xml")
    assert "(report-test_charts/flag-0.svg)" in path.read_text(encoding="utf-8")


def test_an_unknown_format_is_refused_with_the_formats_to_use(tmp_path: Path) -> None:
    with pytest.raises(UnknownReportFormat, match="html, md, json"):
        write_report(report(), "pdf", tmp_path)  # type: ignore[arg-type]


def test_summary_counts_every_flag_and_lists_the_top_ones() -> None:
    data = report(
        flags=[flag(), flag(flag_id="F2", status="closed", score=1.0)],
        flag_totals=FlagTotals(open=40, open_serious=7, closed=3),
    )

    summary = report_summary(data)

    assert summary["flags"] == 43
    assert summary["flags_open"] == 40
    assert summary["flags_open_serious"] == 7
    assert [f["flag_id"] for f in summary["top_flags"]] == ["F1", "F2"]
    assert summary["top_flags"][0]["signature"] == "Acme/Cool 3000/*/COMPRESSOR"
    assert json.loads(json.dumps(summary)) == summary


def test_charts_keep_names_in_any_script_as_text_for_the_readers_fonts() -> None:
    rates = [RepeatRate(key="宁波供应商", repairs=2, repeated=1, rate=0.5)]

    svg = rates_svg(rates, "Repeat rate by supplier")

    assert svg is not None
    assert re.search(r"<text[^>]*>宁波供应商</text>", svg)
    assert "font-family: 'DejaVu" not in svg
    assert "Noto Sans CJK SC" in svg


def test_kpi_tables_and_flag_details_plug_into_html_and_markdown(tmp_path: Path) -> None:
    kpis = KpiTable(
        title="Time to first response by market",
        columns=[("market", "Market"), ("median_hours", "Median hours"), ("share", "Within SLA")],
        rows=[{"market": "DE", "median_hours": 3.25, "share": 0.875}, {"market": "FR"}],
        percent=["share"],
    )
    asked: list[str] = []

    def detail(flag_id: str) -> dict[str, Any]:
        asked.append(flag_id)
        return {"flag_id": flag_id, "verbatims": ["默认 text"]}

    extras = Extras(kpi_tables=[kpis], flag_detail=detail)
    html = write_report(report(), "html", tmp_path, extras=extras).read_text(encoding="utf-8")
    markdown = write_report(report(), "md", tmp_path, extras=extras).read_text(encoding="utf-8")

    assert asked == ["F1", "F1"]
    written = json.loads((tmp_path / "flags" / "F1.json").read_text(encoding="utf-8"))
    assert written == {"flag_id": "F1", "verbatims": ["默认 text"]}
    assert '<a href="flags/F1.json">' in html
    assert "(flags/F1.json)" in markdown
    assert '<td>DE</td><td class="n">3.2</td><td class="n">87.5 %</td>' in html
    assert "| DE | 3.2 | 87.5 % |" in markdown
    assert "| FR | – | – |" in markdown


def test_flag_detail_files_written_beforehand_are_linked(tmp_path: Path) -> None:
    (tmp_path / "flags").mkdir()
    (tmp_path / "flags" / "F1.json").write_text("{}", encoding="utf-8")

    html = write_report(report(), "html", tmp_path).read_text(encoding="utf-8")
    bare = write_report(report(), "html", tmp_path / "elsewhere").read_text(encoding="utf-8")

    assert '<a href="flags/F1.json">' in html
    assert "flags/F1.json" not in bare


def test_the_glossary_explains_every_method_the_flags_use() -> None:
    data = report(flags=[flag(), flag(flag_id="F2", method="complaint_signal")])

    html = render_html(data, {})

    glossary = html[html.index('id="glossary"') :]
    assert "Method: cusum" in glossary
    assert "Method: complaint signal" in glossary
    assert "Observed / expected" in glossary
