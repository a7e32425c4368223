from __future__ import annotations

from pathlib import Path

from producers.simulator import GroundTruth, SimulationConfig, ground_truth, write_ground_truth
from producers.simulator.truth import truth_of
from producers.simulator.world import build_world
from tests.unit.simulator.conftest import SHARED_RUN


def test_ground_truth_round_trips_through_json() -> None:
    truths = [
        ground_truth(SimulationConfig(seed=s, days=days, rate=50))
        for s in range(1, 5)
        for days in (365, 730)
    ]
    assert any(d.lots for truth in truths for d in truth.defects)
    assert any(d.recall_on is None for truth in truths for d in truth.defects)
    for truth in truths:
        assert GroundTruth.from_json(truth.to_json()) == truth


def test_ground_truth_is_written_to_a_file(tmp_path: Path) -> None:
    path = tmp_path / "truth.json"
    written = write_ground_truth(SHARED_RUN, path)
    assert GroundTruth.from_json(path.read_text(encoding="utf-8")) == written


def test_ground_truth_needs_no_simulation_and_matches_the_run(shared_events: list) -> None:
    truth = ground_truth(SHARED_RUN)
    assert truth == truth_of(build_world(SHARED_RUN))
    assert (truth.start, truth.end) == (SHARED_RUN.start, SHARED_RUN.end)
    registered = {
        (e.brand, e.model, e.variant)
        for e in shared_events
        if e.event_type == "product_model.registered"
    }
    assert {(s.brand, s.model, s.variant) for s in truth.signatures} == registered
    components = {s.component for s in truth.signatures}
    assert {"ENGINE", "BRAKES", "HVAC", "ELECTRONICS", "REFRIGERANT"} <= components


def test_recalls_follow_defects_that_ran_long_enough(shared_events: list) -> None:
    truth = ground_truth(SimulationConfig(seed=7, days=730, rate=5))
    recalled = [d for d in truth.defects if d.recall_on is not None]
    assert recalled
    for defect in recalled:
        assert defect.recall_on is not None
        assert (defect.recall_on - defect.onset).days >= 120
    shared_truth = ground_truth(SHARED_RUN)
    recalls = [e for e in shared_events if e.event_type == "recall.announced"]
    expected = sum(len(d.markets) for d in shared_truth.defects if d.recall_on is not None)
    assert len(recalls) == expected
    assert len({r.recall_id for r in recalls}) == len(recalls)
    assert all(r.units_affected for r in recalls)
