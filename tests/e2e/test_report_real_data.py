"""Real complaints (Chinese CSV and NHTSA slices), imported with `aftersales import` through a
broker and a worker, to an HTML report whose numbers are the warehouse's, on a desktop and a phone.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, union
from sqlalchemy.orm import Session

from bench.report_build import real_events
from pipeline.harness.worker_process import settings_env, wait_until
from pipeline.reports import ReportData, build_report, report_scope, write_report
from pipeline.warehouse.read.report import read_report
from pipeline.warehouse.tables import ComplaintRow, DefectFlagRow, RepairRow, SignatureCountRow
from pipeline.warehouse.watermark import read_watermark
from tests.e2e.conftest import Pipeline
from tests.e2e.test_report_screenshot import chromium

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CHINESE = (
    FIXTURES / "cn" / "cn_car_complaints_slice.csv",
    FIXTURES / "cn" / "cn_car_complaints_two_flagged_signatures.csv",
)
NHTSA = (
    FIXTURES / "nhtsa" / "FLAT_CMPL_toyota_ford_tesla_slice.txt",
    FIXTURES / "nhtsa" / "FLAT_CMPL_week_2024-02-19_first100.txt",
)
RECALLS = FIXTURES / "nhtsa" / "FLAT_RCL_toyota_ford_tesla_slice.txt"
MAX_BYTES = 5_000_000
PHONE = 390
PHONE_MIN_TEXT_PX = 9.0


def _settled(counts: dict[str, int], events: int) -> bool:
    """Every event archived, every signature it touched judged, every flag message sent."""
    return counts["events"] == events and counts["detection_pending"] == 0 and counts["outbox"] == 0


def _window_count(session: Session, flag: DefectFlagRow, first: date, last: date) -> int:
    t = SignatureCountRow
    return int(
        session.scalar(
            select(func.coalesce(func.sum(t.n), 0)).where(
                t.brand == flag.brand,
                t.model == flag.model,
                t.variant == flag.variant,
                t.component == flag.component,
                t.day >= first,
                t.day <= last,
            )
        )
        or 0
    )


def _chart_texts(html: str) -> list[list[str]]:
    charts = re.findall(r"<svg .*?</svg>", html, flags=re.DOTALL)
    return [re.findall(r"<text[^>]*>(.*?)</text>", chart, flags=re.DOTALL) for chart in charts]


def test_real_complaints_make_a_small_report_whose_numbers_and_charts_match_the_warehouse(
    tansu_pipeline: Pipeline, tmp_path: Path
) -> None:
    events = real_events(CHINESE, NHTSA, [RECALLS])
    assert len(events) > 600
    warehouse = tansu_pipeline.engine
    tansu_pipeline.values["detection_interval_s"] = 0.5
    worker = tansu_pipeline.worker()
    env = settings_env(tansu_pipeline.values)
    imports = [
        ["import", "csv", *map(str, CHINESE), "--mapping", "cn_car_complaints"],
        ["import", "nhtsa", str(NHTSA[0]), "--recalls", str(RECALLS)],
        ["import", "nhtsa", str(NHTSA[1])],
    ]
    running = [
        subprocess.Popen([sys.executable, "-m", "pipeline", *args], env=env, stderr=subprocess.PIPE)
        for args in imports
    ]
    for process in running:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()[-2000:]
    # A row repeated byte for byte in the NHTSA file is one event, archived once.
    distinct = len({e.event_id for e in events})
    wait_until(
        lambda: _settled(tansu_pipeline.counts(), distinct),
        timeout_s=120,
        check=worker.check,
        what="imported complaints archived and judged",
    )
    with Session(warehouse) as session:
        now = read_watermark(session)
        assert now is not None
        open_flags = session.scalars(
            select(DefectFlagRow).where(DefectFlagRow.status == "open")
        ).all()
        models = session.scalar(
            select(func.count()).select_from(
                union(
                    select(ComplaintRow.brand, ComplaintRow.model),
                    select(RepairRow.brand, RepairRow.model),
                ).subquery()
            )
        )
        windows = {
            f.flag_id: _window_count(
                session,
                f,
                date.fromisoformat(f.evidence["peak_day"])
                - timedelta(f.evidence["window_days"] - 1),
                date.fromisoformat(f.evidence["peak_day"]),
            )
            for f in open_flags
        }

    scope = report_scope(since=None, brand=None, model=None, now=now)
    data = build_report(read_report(warehouse, scope))
    path = write_report(data, "html", tmp_path / "out")
    html = path.read_text(encoding="utf-8")

    assert path.stat().st_size <= MAX_BYTES
    _numbers_are_the_warehouses(data, html, open_flags, windows, models)
    _charts_hold_their_names_as_text(data, html)
    charts = len(_chart_texts(html))
    haval = next(
        f"{p.brand} {p.model}: {p.total} failures" for p in data.pareto if p.brand == "哈弗"
    )
    for width in (1200, PHONE):
        dom = rendered(path, width, tmp_path / f"profile-{width}")
        assert f'data-charts="ok:{charts}/{charts}"' in dom, width
        page_width = re.search(r'data-page-width="(\d+)"', dom)
        assert page_width is not None
        assert int(page_width.group(1)) <= width, "the page scrolls sideways"
        text_px = re.search(r'data-chart-text-px="([\d.]+)"', dom)
        assert text_px is not None
        assert float(text_px.group(1)) >= PHONE_MIN_TEXT_PX, width
        non_latin = re.search(r'data-non-latin="([^"]*)"', dom)
        assert non_latin is not None
        assert haval in non_latin.group(1).split("|")


def rendered(report: Path, width: int, profile: Path) -> str:
    """The report's self-check attributes after Chromium laid it out ``width`` px wide.

    Headless Chromium's window is at least 500 px wide, so a phone is a frame of that width
    in a page that copies the self-check out of it once it has loaded.
    """
    frame = report.with_name(f"at-{width}.html")
    frame.write_text(
        f"""<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="{report.name}" style="width:{width}px;height:2000px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {{
  var inner = this.contentDocument.documentElement;
  setTimeout(function () {{
    ["data-charts", "data-chart-text-px", "data-page-width"].forEach(function (name) {{
      document.body.setAttribute(name, inner.getAttribute(name));
    }});
    var texts = inner.querySelectorAll("svg.chart text");
    var names = Array.prototype.map.call(texts, function (t) {{ return t.textContent; }});
    document.body.setAttribute("data-non-latin", names.filter(function (n) {{
      return /[^\\u0000-\\u024f\\u2000-\\u22ff]/.test(n);
    }}).join("|"));
  }}, 0);
}});
</script></body></html>""",
        encoding="utf-8",
    )
    run = chromium(
        profile,
        "--allow-file-access-from-files",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        f"--window-size={max(width, 500)},2000",
        frame.as_uri(),
    )
    assert [line for line in run.stderr.splitlines() if ":CONSOLE" in line] == []
    body = re.search(r"<body[^>]*>", run.stdout)
    assert body is not None, run.stdout[:500]
    return body.group(0)


def _numbers_are_the_warehouses(
    data: ReportData,
    html: str,
    open_flags: Sequence[DefectFlagRow],
    windows: dict[str, int],
    models: int | None,
) -> None:
    serious = sum(1 for f in open_flags if f.severity in ("high", "critical"))
    assert len(open_flags) >= 2
    assert (data.flag_totals.open, data.flag_totals.open_serious) == (len(open_flags), serious)
    listed = [f for f in data.flags if f.status == "open"]
    assert f"Top {len(listed)} of {len(open_flags)} open flags ({serious} high or critical)" in html
    assert [f.status for f in data.flags[: len(listed)]] == ["open"] * len(listed)
    assert [f.score for f in listed] == sorted((f.score for f in listed), reverse=True)
    assert data.pareto_totals.models == models
    assert f"of {models} models" in html
    for flag in listed:
        in_window = sum(p.in_window for p in flag.trend)
        # The detector judged after the last import: its count, the chart's and the
        # warehouse's are one number.
        assert flag.window_observed == in_window == windows[flag.flag_id] == flag.observed
        article = re.search(
            rf'<article [^>]*id="flag-{flag.flag_id}" data-observed="(\d+)">(.*?)</article>',
            html,
            flags=re.DOTALL,
        )
        assert article is not None
        assert int(article.group(1)) == in_window
        assert f'observed <b class="observed">{in_window}</b>' in article.group(2)
        chart = _chart_texts(article.group(2))
        assert len(chart) == 1
        assert f"{in_window} in window · expected" in " ".join(chart[0])
        assert flag.summary.startswith(f"{flag.component_name} on {flag.brand} {flag.model}")
        assert f"{in_window} complaints in the 365 days" in flag.summary


def _charts_hold_their_names_as_text(data: ReportData, html: str) -> None:
    texts = " ".join(" ".join(t) for t in _chart_texts(html))
    for model in data.pareto:
        assert f"{model.brand} {model.model}: {model.total} failures" in texts
    assert "哈弗 哈弗H6" in texts
    assert "<image" not in html
    assert "<img" not in html
    assert "data:" not in html
