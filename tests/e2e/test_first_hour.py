"""A new user's first hour: the demo, then every view command without settings, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.cli.support import ExitCode
from pipeline.harness.worker_process import free_port
from tests.helpers import aftersales


def test_after_the_demo_every_view_finds_its_data_without_settings(tmp_path: Path) -> None:
    demo = aftersales(
        ["demo", "--days", "21", "--rate", "20"],
        tmp_path,
        timeout_s=600,
        AFTERSALES_METRICS_PORT=str(free_port()),  # tests run beside other workers
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "var/demo/warehouse.db" in demo.stderr

    views = [
        ["stats", "--format", "json"],
        ["flags", "--status", "all"],
        ["cases", "--limit", "5"],
        ["cases", "--status", "overdue", "--market", "CN"],
        ["kpis", "--by", "country"],
        ["kpis", "--by", "group", "--format", "json"],
        ["report", "--format", "md", "--out", "reports"],
    ]
    for args in views:
        done = aftersales(args, tmp_path)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr, args
        assert "reading the demo's warehouse var/demo/warehouse.db" in done.stderr, args
    assert not (tmp_path / "var" / "warehouse.db").exists(), "views leave no empty warehouse"

    counts = json.loads(aftersales(["stats", "--format", "json"], tmp_path).stdout)
    assert counts["tickets"] > 0
    cases = aftersales(["cases", "--limit", "5", "--format", "json"], tmp_path)
    assert len(json.loads(cases.stdout)) == min(5, counts["cases"])
    serial = json.loads(
        aftersales(["cases", "--status", "all", "--format", "json"], tmp_path).stdout
    )[0]["serial"]
    story = aftersales(["history", "--serial", serial, "--format", "json"], tmp_path)
    assert story.returncode == 0, story.stderr
    assert json.loads(story.stdout), "the unit of a case has a history"
    unknown = aftersales(["history", "--serial", "NOPE"], tmp_path)
    assert unknown.returncode == ExitCode.FAILED
    assert "Traceback" not in unknown.stderr
