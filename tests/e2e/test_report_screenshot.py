"""The HTML report opens in headless Chromium with every chart drawn and no console errors."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image
from sqlalchemy import Engine

from pipeline.reports import build_report, report_scope, write_report
from pipeline.warehouse.read.report import read_report
from tests.integration.test_reports import NOW, SINCE, seed_known_warehouse

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM.exists(), "install Debian's chromium package (make ci installs it)"
    return subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.fixture
def report_html(warehouse: Engine, tmp_path: Path) -> Path:
    seed_known_warehouse(warehouse)
    scope = report_scope(since=SINCE, brand=None, model=None, now=NOW)
    report = build_report(read_report(warehouse, scope))
    return write_report(report, "html", tmp_path / "out")


def test_report_renders_in_chromium_with_all_charts_drawn(
    report_html: Path, tmp_path: Path
) -> None:
    shot = tmp_path / "report.png"

    run = chromium(
        tmp_path / "profile",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        f"--screenshot={shot}",
        "--window-size=1200,2000",
        report_html.as_uri(),
    )

    charts = len(re.findall(r'<svg [^>]*class="chart"', report_html.read_text(encoding="utf-8")))
    assert charts >= 6
    assert f'data-charts="ok:{charts}/{charts}"' in run.stdout
    assert [line for line in run.stderr.splitlines() if ":CONSOLE" in line] == []
    pixels = np.asarray(image.imread(shot))
    assert pixels.shape[:2] == (2000, 1200)
    assert float(pixels[..., :3].std()) > 0.05
    # The header's blue band and the white cards beneath it both made it onto the screenshot.
    assert pixels[40, 600, 2] > pixels[40, 600, 0] + 0.2
    assert pixels[:, :, :3].max() == pytest.approx(1.0)
