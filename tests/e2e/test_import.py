"""Real data files go through the whole pipeline: one archived complaint per valid row."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.harness.worker_process import settings_env, wait_until
from producers.sources.mapped_csv import load_mapping, mapping_path, read_mapped_csv
from producers.sources.nhtsa import read_complaints, read_recalls
from producers.sources.report import Skipped
from tests.conftest import WAREHOUSE_KINDS
from tests.e2e.conftest import Pipeline

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COMPLAINTS = FIXTURES / "nhtsa" / "FLAT_CMPL_toyota_ford_tesla_slice.txt"
RECALLS = FIXTURES / "nhtsa" / "FLAT_RCL_toyota_ford_tesla_slice.txt"
MESSY = FIXTURES / "nhtsa" / "messy.txt"
CHINESE = FIXTURES / "cn" / "cn_car_complaints_slice.csv"


def _valid(items: object) -> set[str]:
    return {str(i.event_id) for i in items if not isinstance(i, Skipped)}  # type: ignore[attr-defined]


@pytest.mark.parametrize("warehouse_url", WAREHOUSE_KINDS[:1], indirect=True)
def test_nhtsa_and_csv_imports_archive_one_event_per_valid_row(pipeline: Pipeline) -> None:
    today = datetime.now(UTC).date()
    expected = (
        _valid(read_complaints(COMPLAINTS, today=today))
        | _valid(read_complaints(MESSY, today=today))
        | _valid(read_recalls(RECALLS, today=today))
        | _valid(
            read_mapped_csv(CHINESE, load_mapping(mapping_path("cn_car_complaints")), today=today)
        )
    )
    env = settings_env(pipeline.values)
    worker = pipeline.worker()
    reports = []
    for args in (
        ["import", "nhtsa", str(COMPLAINTS), "--recalls", str(RECALLS)],
        ["import", "nhtsa", str(MESSY)],
        ["import", "csv", str(CHINESE), "--mapping", "cn_car_complaints"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "pipeline", *args],
            env=env,
            capture_output=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        reports.append(done.stderr.decode())
    wait_until(
        lambda: pipeline.counts()["events"] >= len(expected),
        timeout_s=180,
        check=worker.check,
        what="imported events archived",
    )
    counts = pipeline.counts()
    assert counts["events"] == len(expected)
    assert counts["recalls"] > 0
    assert counts["complaints"] == counts["events"] - counts["recalls"]
    assert counts["dead_letters"] == 0
    assert "implausible_date" in reports[1] or "bad_date" in reports[1], reports[1][-1500:]
