"""The simulator releases corrective actions; the truth records which of them work."""

from __future__ import annotations

import pytest

from producers.simulator import (
    GroundTruth,
    SimulationConfig,
    SimulationConfigError,
    ground_truth,
    simulate,
)
from producers.simulator.world import build_world
from schemas.product import CorrectiveActionReleased

CONFIG = SimulationConfig(seed=5, days=730, rate=3, models=frozenset({"Breeze 12K"}), fixes=True)


def test_fixes_are_opt_in_and_leave_runs_without_them_alone() -> None:
    plain = build_world(
        SimulationConfig(seed=5, days=730, rate=3, models=frozenset({"Breeze 12K"}))
    )
    assert all(d.fix is None for d in plain.defects)
    assert plain.cohorts == build_world(CONFIG).cohorts


def test_a_working_fix_removes_the_defect_from_units_built_after_it() -> None:
    world = build_world(CONFIG)
    fixed = [d for d in world.defects if d.fix is not None]
    assert {d.fix.works for d in fixed if d.fix} == {True, False}
    for defect in fixed:
        assert defect.fix is not None
        affected_after = [
            c
            for c in world.cohorts
            if c.variant.key == defect.variant.key
            and c.market.country in defect.markets
            and defect.fix.covers(c)
        ]
        assert affected_after, "a fix is only released while units built after it are sold"
        assert all(defect.applies_to(c) is not defect.fix.works for c in affected_after)


def test_the_truth_and_the_stream_carry_the_same_fixes() -> None:
    truth = ground_truth(CONFIG)
    assert GroundTruth.from_json(truth.to_json()) == truth
    fixes = {d.fix.action_id: d for d in truth.defects if d.fix}
    released = [e for e in simulate(CONFIG) if isinstance(e, CorrectiveActionReleased)]
    assert sorted(e.action_id for e in released) == sorted(fixes)
    for event in released:
        defect = fixes[event.action_id]
        assert defect.fix is not None
        assert event.effective_from.lot == defect.fix.lot
        assert event.occurred_at.date() == defect.fix.released_on
        [signature] = event.signatures
        assert (signature.brand, signature.model, signature.variant, signature.component) == (
            defect.brand,
            defect.model,
            defect.variant,
            defect.component,
        )


def test_a_focused_world_holds_only_the_models_asked_for() -> None:
    world = build_world(CONFIG)
    assert {v.spec.model for v in world.variants} == {"Breeze 12K"}
    with pytest.raises(SimulationConfigError, match="choose among"):
        build_world(SimulationConfig(seed=5, days=90, rate=3, models=frozenset({"Nope"})))
