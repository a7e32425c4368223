"""The product loop end to end: the simulator injects defects and releases fixes, the detector
flags them, the team confirms the flags from the CLI, and the fixes are judged on the claims."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.broker import EmbeddedBroker
from pipeline.loop_read import read_corrective_actions
from pipeline.warehouse import views
from pipeline.warehouse.engine import session_factory
from pipeline.worker_process import settings_env, wait_until
from producers.publisher import publish_all
from producers.simulator import SimulationConfig, ground_truth
from schemas.product import FlagTriaged
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import Pipeline, make_pipeline

# A focused world (one air-conditioner model, three tickets a day, two years): two defects of
# its current variant, each flagged; one fix from a later lot works, the other does not.
WORLD = SimulationConfig(seed=5, days=730, rate=3, models=frozenset({"Breeze 12K"}), fixes=True)
SIMULATE = [
    "simulate", "--seed", "5", "--days", "730", "--rate", "3", "--model", "Breeze 12K", "--fixes"
]  # fmt: skip


@pytest.fixture(params=[("tansu", "sqlite"), ("noida", "postgresql")], ids="+".join)
def loop_pipeline(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pipeline]:
    """Both brokers and both warehouses, each once (the pairs keep the run short)."""
    broker_kind, warehouse_kind = request.param
    url = (
        f"sqlite:///{tmp_path / 'warehouse.db'}"
        if warehouse_kind == "sqlite"
        else create_pg_database()
    )
    try:
        with EmbeddedBroker(broker_kind) as broker:
            p = make_pipeline(broker, url, tmp_path, detection_interval_s=3.0)
            try:
                yield p
            finally:
                for w in p.workers:
                    w.stop()
                p.engine.dispose()
    finally:
        if warehouse_kind == "postgresql":
            drop_pg_database(url)


def cli(pipeline: Pipeline, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        env=settings_env(pipeline.values),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, (args, done.stderr[-3000:])
    return done


def flags(pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    rows = json.loads(cli(pipeline, "flags", "--status", "all", "--format", "json").stdout)
    return {f"{r['variant']} {r['component']}": r for r in rows}


def test_a_confirmed_flag_is_verified_by_a_working_fix_and_reopened_by_a_failing_one(
    loop_pipeline: Pipeline,
) -> None:
    truth = {d.component: d for d in ground_truth(WORLD).defects if d.fix is not None}
    assert {c: d.fix.works for c, d in truth.items() if d.fix} == {"DRAINAGE": True, "HVAC": False}
    worker = loop_pipeline.worker()
    published = cli(loop_pipeline, *SIMULATE)
    total = sum(json.loads(published.stderr[published.stderr.index("{") :]).values())

    def flagged() -> bool:
        with session_factory(loop_pipeline.engine)() as session:
            found = {(f["variant"], f["component"]) for f in views.flags(session, "all")}
        return all(("rev D", c) in found for c in truth)

    wait_until(
        lambda: loop_pipeline.counts()["events"] == total,
        timeout_s=240,
        check=worker.check,
        what="the world archived",
    )
    wait_until(flagged, timeout_s=240, check=worker.check, what="both defects flagged")
    with session_factory(loop_pipeline.engine)() as session:
        raised = {(f["variant"], f["component"]): f["flag_id"] for f in views.flags(session, "all")}
    # One decision from the CLI, the other as an issue tracker would send it.
    cli(
        loop_pipeline, "flags", "triage", raised[("rev D", "DRAINAGE")], "--confirm",
        "--by", "quality-hvac", "--note", "hoses split on returned units",
    )  # fmt: skip
    decided = datetime.now(UTC)
    tracker = FlagTriaged(
        event_id=uuid.uuid4(),
        occurred_at=decided,
        source="tracker:quality",
        flag_id=raised[("rev D", "HVAC")],
        decision="confirm",
        decided_by="quality-hvac",
        decided_at=decided,
    )
    publish_all(loop_pipeline.settings, [tracker])
    wait_until(
        lambda: loop_pipeline.counts()["flag_decisions"] == 2,
        timeout_s=60,
        check=worker.check,
        what="decisions stored",
    )
    actions = json.loads(cli(loop_pipeline, "actions", "--format", "json").stdout)
    verdicts = {a["action_id"]: a["verdict"] for a in actions}
    assert verdicts == {
        truth["DRAINAGE"].fix.action_id: "effective",  # type: ignore[union-attr]
        truth["HVAC"].fix.action_id: "not effective",  # type: ignore[union-attr]
    }
    judged = flags(loop_pipeline)
    assert {judged[f"rev D {c}"]["triage"] for c in truth} == {"confirmed"}
    assert (judged["rev D DRAINAGE"]["state"], judged["rev D DRAINAGE"]["status"]) == (
        "verified",
        "closed",
    )
    assert (judged["rev D HVAC"]["state"], judged["rev D HVAC"]["status"]) == ("reopened", "open")
    with session_factory(loop_pipeline.engine)() as session:
        section = read_corrective_actions(session)
    assert [a["action_id"] for a in section["failed_fixes"]] == [truth["HVAC"].fix.action_id]  # type: ignore[index,union-attr]
    history = {d["component"]: d["decisions"] for d in section["decisions"]}  # type: ignore[union-attr,index]
    assert history["DRAINAGE"][0]["decided_by"] == "quality-hvac"
