from __future__ import annotations

from itertools import islice

from producers.simulator import SimulationConfig, simulate

SMALL = SimulationConfig(seed=11, days=75, rate=5)


def _dump(config: SimulationConfig, limit: int = 20_000) -> list[str]:
    return [event.model_dump_json() for event in islice(simulate(config), limit)]


def test_same_seed_gives_identical_events_including_ids() -> None:
    assert _dump(SMALL) == _dump(SMALL)


def test_different_seed_gives_different_events() -> None:
    first = [e.event_id for e in islice(simulate(SMALL), 1_000)]
    other = [
        e.event_id for e in islice(simulate(SimulationConfig(seed=12, days=75, rate=5)), 1_000)
    ]
    assert not set(first) & set(other)


def test_event_ids_are_unique_version_4_uuids(shared_events: list) -> None:
    ids = [event.event_id for event in shared_events]
    assert len(ids) == len(set(ids))
    assert {event_id.version for event_id in ids} == {4}
