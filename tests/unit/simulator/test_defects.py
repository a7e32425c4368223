from __future__ import annotations

from dataclasses import replace

from producers.simulator import SimulationConfig, ground_truth
from producers.simulator.config import DAY
from producers.simulator.defects import MIN_EXCESS_CLAIMS, REVEAL_DAYS
from producers.simulator.entities import Defect, World
from producers.simulator.hazard import failure_stream
from producers.simulator.reach import reach
from producers.simulator.world import build_world
from tests.unit.simulator.conftest import SHARED_RUN


def _failures_after_onset(world: World, defect: Defect) -> int:
    """First-time failures of the defect's signature, where and after it applies, in ``world``."""
    config = world.config
    count = 0
    for cohort in world.cohorts:
        if not defect.applies_to(cohort):
            continue
        index = [top.code for top in cohort.variant.tree].index(defect.component)
        stream = failure_stream(cohort, world.defects_for(cohort), config.start_ts, config.end_ts)
        count += sum(1 for ts, _, i in stream if i == index and ts >= defect.onset_ts)
    return count


def test_injected_defect_multiplies_its_signatures_failures_after_onset() -> None:
    observed = expected = 0.0
    for seed in (2, 4, 5):
        config = SimulationConfig(seed=seed, days=365, rate=50, defects=4)
        world, twin = build_world(config), build_world(replace(config, defects=0))
        for defect in world.defects:
            observed += _failures_after_onset(world, defect)
            expected += _failures_after_onset(twin, defect) * defect.multiplier
    assert expected > 1_000
    assert 0.85 < observed / expected < 1.15


def test_defect_free_twin_shares_the_world_but_not_the_defects() -> None:
    config = SimulationConfig(seed=3, days=365, rate=10, defects=4)
    world, twin = build_world(config), build_world(replace(config, defects=0))
    assert world.cohorts == twin.cohorts
    assert len(world.defects) == 4
    assert twin.defects == ()


def test_tickets_of_a_defective_signature_rise_after_onset(shared_events: list) -> None:
    world = build_world(SHARED_RUN)
    twin = build_world(replace(SHARED_RUN, defects=0))
    tickets = [e for e in shared_events if e.event_type == "ticket.opened"]
    observed = expected = 0.0
    for defect in world.defects:
        lots = defect.lots
        observed += sum(
            1
            for e in tickets
            if e.component == defect.component
            and (e.product.brand, e.product.model, e.product.variant) == defect.variant.key
            and e.market in defect.markets
            and (lots is None or e.product.lot in lots)
            and e.occurred_at.date() >= defect.onset
        )
        expected += _failures_after_onset(twin, defect) * defect.multiplier
    # Repeat repairs add tickets on top of failures, so the margin is generous.
    assert 0.6 < observed / expected < 1.8


def test_defects_start_after_day_60_with_multipliers_between_2_and_6() -> None:
    config = SimulationConfig(seed=9, days=540, rate=30)
    truth = ground_truth(config)
    assert len(truth.defects) == 4
    for defect in truth.defects:
        assert (defect.onset - config.start).days >= 60
        assert defect.onset < config.end
        assert 2.0 <= defect.multiplier <= 6.0
        assert defect.signature in truth.signatures
        assert defect.markets
        assert defect.leaf_component is not None
        assert defect.leaf_component.startswith(defect.component + ":")


def test_every_injected_defect_adds_claims_its_variant_can_show() -> None:
    """Onset early enough, units in service, and an excess over the first quarter that at
    least doubles the variant's claims in its markets, lot-confined defects included."""
    lots = 0
    for seed in range(1, 13):
        config = SimulationConfig(seed=seed, days=730, rate=50)
        world = build_world(config)
        assert len(world.defects) == config.defect_count
        for defect in world.defects:
            sold = [c for c in world.cohorts if c.variant.key == defect.variant.key]
            top = next(t for t in defect.variant.tree if t.code == defect.component)
            start = defect.onset_ts
            shown = reach(sold, top, defect.markets, defect.lots, start, start + REVEAL_DAYS * DAY)
            assert shown.excess(defect.multiplier) >= MIN_EXCESS_CLAIMS
            assert shown.lift(defect.multiplier) >= 2.0
            assert (config.end - defect.onset).days >= REVEAL_DAYS
            lots += defect.lots is not None
    assert lots, "some defects stay confined to a few production lots"


def test_a_defect_on_units_out_of_service_adds_no_claims() -> None:
    world = build_world(SimulationConfig(seed=101, days=730, rate=50))
    oldest = min(world.cohorts, key=lambda c: c.sale_start_ts)
    sold = [c for c in world.cohorts if c.variant.key == oldest.variant.key]
    later = world.config.end_ts - REVEAL_DAYS * DAY
    shown = reach(
        sold,
        oldest.variant.tree[0],
        {c.market.country for c in sold},
        None,
        later,
        world.config.end_ts,
    )
    assert shown.excess(6.0) == 0.0
