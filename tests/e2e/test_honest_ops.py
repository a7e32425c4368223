"""Ops can trust the worker: /readyz fails with the broker, and no output shows a secret."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import WorkerProcess, settings_env, wait_until
from tests.e2e.conftest import Pipeline, make_pipeline
from tests.e2e.test_operations import ready

SECRET = "hunter2-do-not-print"


def readiness(worker: WorkerProcess) -> int:
    """/readyz's status, 0 while the web server is not up yet."""
    try:
        return ready(worker)[0]
    except urllib.error.URLError:
        return 0


def _cli(args: list[str], values: dict[str, object], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        env={**settings_env(values), "PYTHONPATH": os.getcwd()},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "values",
    [
        {"sasl_password": SECRET, "batch_lanes": 2},
        {"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_password": SECRET},
        {"sasl_password": SECRET, "sasl_mechanism": "SCRAM-SHA-1"},
    ],
)
@pytest.mark.parametrize("command", [["worker"], ["stats"], ["db", "current"]])
def test_bad_settings_are_refused_without_printing_the_password(
    values: dict[str, object], command: list[str], tmp_path: Path
) -> None:
    done = _cli(command, values, tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "invalid settings" in output
    assert "AFTERSALES_" in output
    assert SECRET not in output
    assert "Traceback" not in output


def test_a_worker_started_with_bad_settings_logs_no_password(tmp_path: Path) -> None:
    worker = WorkerProcess(
        {
            "warehouse_url": f"postgresql+psycopg://svc:{SECRET}@127.0.0.1:1/aftersales",
            "sasl_username": "svc",
            "sasl_password": SECRET,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-256",
            "batch_lanes": 99,
        },
        log_path=tmp_path / "worker.log",
    ).start()
    wait_until(lambda: not worker.alive(), timeout_s=60, what="the worker to refuse its settings")
    log = (tmp_path / "worker.log").read_text()
    assert "AFTERSALES_BATCH_LANES" in log
    assert SECRET not in log


@pytest.fixture
def own_broker() -> Iterator[EmbeddedBroker]:
    """A broker of this test's own: it gets killed mid-test."""
    with EmbeddedBroker("tansu") as broker:
        yield broker


@pytest.fixture
def doomed_pipeline(own_broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Pipeline]:
    p = make_pipeline(own_broker, f"sqlite:///{tmp_path / 'warehouse.db'}", tmp_path)
    try:
        yield p
    finally:
        for w in p.workers:
            w.kill()
        p.engine.dispose()


def test_readyz_fails_while_the_broker_is_unreachable(
    own_broker: EmbeddedBroker, doomed_pipeline: Pipeline
) -> None:
    worker = doomed_pipeline.worker()
    wait_until(
        lambda: readiness(worker) == 200,
        timeout_s=60,
        check=worker.check,
        what="/readyz ready with the broker up",
    )
    own_broker.stop()
    wait_until(
        lambda: readiness(worker) == 503,
        timeout_s=30,
        check=worker.check,
        what="/readyz unready once the broker is gone",
    )
    status, body = ready(worker)
    assert status == 503
    assert any(problem.startswith("broker:") for problem in body["problems"]), body
