"""The product loop end to end: the simulator injects defects and releases fixes, the detector
flags them, the team confirms the flags from the CLI, and the fixes are judged on the claims."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import wait_until
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.read.flags import flags as stored_flags
from pipeline.warehouse.read.loop import read_corrective_actions
from producers.publisher import publish_all
from producers.simulator import SimulationConfig, ground_truth
from schemas.product import FlagTriaged
from tests.conftest import create_pg_database, drop_pg_database
from tests.e2e.conftest import Pipeline, running_pipeline

# A focused world (one air-conditioner model, three tickets a day, two years): two defects of
# its current variant, each flagged; one fix from a later lot works, the other does not.
WORLD = SimulationConfig(
    seed=4, days=730, rate=3, models=frozenset({"Breeze 12K"}), fixes=True, defects=2
)
SIMULATE = [
    "simulate", "--seed", "4", "--days", "730", "--rate", "3", "--model", "Breeze 12K", "--fixes",
    "--defects", "2",
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
        with (
            EmbeddedBroker(broker_kind) as broker,
            running_pipeline(broker, url, tmp_path, detection_interval_s=3.0) as p,
        ):
            yield p
    finally:
        if warehouse_kind == "postgresql":
            drop_pg_database(url)


def flags(pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    rows = json.loads(pipeline.cli("flags", "--status", "all", "--format", "json").stdout)
    return {r["flag_id"]: r for r in rows}


def test_a_confirmed_flag_is_verified_by_a_working_fix_and_reopened_by_a_failing_one(
    loop_pipeline: Pipeline,
) -> None:
    truth = {d.component: d.fix for d in ground_truth(WORLD).defects if d.fix is not None}
    assert {c: fix.works for c, fix in truth.items()} == {"ELECTRONICS": True, "HVAC": False}
    worker = loop_pipeline.worker()
    published = loop_pipeline.cli(*SIMULATE)
    total = sum(json.loads(published.stderr[published.stderr.index("{") :]).values())

    def flagged() -> bool:
        with session_factory(loop_pipeline.engine)() as session:
            found = {(f["variant"], f["component"]) for f in stored_flags(session, "all")}
        return all(("rev D", c) in found for c in truth)

    wait_until(
        lambda: loop_pipeline.counts()["events"] == total,
        timeout_s=240,
        check=worker.check,
        what="the world archived",
    )
    wait_until(flagged, timeout_s=240, check=worker.check, what="both defects flagged")
    # The team reads the flags once the detector has caught up with the archive.
    wait_until(
        lambda: loop_pipeline.counts()["detection_pending"] == 0,
        timeout_s=120,
        check=worker.check,
        what="detection caught up",
    )
    with session_factory(loop_pipeline.engine)() as session:
        first = sorted(stored_flags(session, "all"), key=lambda f: f["first_raised_at"])
    raised: dict[tuple[str, str], str] = {}
    for f in first:
        raised.setdefault((f["variant"], f["component"]), f["flag_id"])
    # One decision from the CLI, the other as an issue tracker would send it.
    loop_pipeline.cli(
        "flags", "triage", raised[("rev D", "ELECTRONICS")], "--confirm",
        "--by", "quality-hvac", "--note", "control boards burnt on returned units",
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
    actions = json.loads(loop_pipeline.cli("actions", "--format", "json").stdout)
    verdicts = {a["action_id"]: a["verdict"] for a in actions}
    assert verdicts == {
        truth["ELECTRONICS"].action_id: "effective",
        truth["HVAC"].action_id: "not effective",
    }
    judged = flags(loop_pipeline)
    electronics, hvac = judged[raised[("rev D", "ELECTRONICS")]], judged[raised[("rev D", "HVAC")]]
    assert (electronics["triage"], electronics["state"], electronics["status"]) == (
        "confirmed",
        "verified",
        "closed",
    )
    assert (hvac["triage"], hvac["state"], hvac["status"]) == ("confirmed", "reopened", "open")
    with session_factory(loop_pipeline.engine)() as session:
        section = read_corrective_actions(session)
    assert [a["action_id"] for a in section["failed_fixes"]] == [truth["HVAC"].action_id]
    history = {d["component"]: d["decisions"] for d in section["decisions"]}
    assert history["ELECTRONICS"][0]["decided_by"] == "quality-hvac"
    # The report a product team reads says the same.
    written = loop_pipeline.cli("report", "--out", str(loop_pipeline.tmp / "report"))
    html = Path(written.stdout.strip()).read_text(encoding="utf-8")
    actions_section = html[html.index('<section id="actions">') :]
    actions_section = actions_section[: actions_section.index("</section>")]
    failed = actions_section.index("Failed fixes")
    verified = actions_section.index("Verified fixes")
    assert truth["HVAC"].action_id in actions_section[failed:verified]
    assert truth["ELECTRONICS"].action_id in actions_section[verified:]
