from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from tests.unit.simulator.conftest import SHARED_RUN

WINDOW = timedelta(days=90)


def test_non_genuine_parts_bring_units_back_far_more_often(shared_events: list) -> None:
    repairs = [e for e in shared_events if e.event_type == "repair.completed" and e.parts]
    by_unit = defaultdict(list)
    for repair in repairs:
        by_unit[(repair.product.serial, repair.component.split(":")[0])].append(repair)
    last_watched = _end_of_run() - WINDOW
    came_back = {True: 0, False: 0}
    watched = {True: 0, False: 0}
    for visits in by_unit.values():
        for repair, following in zip(visits, [*visits[1:], None], strict=True):
            if repair.occurred_at >= last_watched:
                continue
            genuine = all(part.genuine for part in repair.parts)
            watched[genuine] += 1
            if following is not None and following.occurred_at - repair.occurred_at <= WINDOW:
                came_back[genuine] += 1
    assert watched[False] > 200
    assert watched[True] > 1_000
    non_genuine_rate = came_back[False] / watched[False]
    genuine_rate = came_back[True] / watched[True]
    assert non_genuine_rate > 2.5 * genuine_rate
    assert 0.04 < genuine_rate < 0.2


def test_franchised_dealers_fit_non_genuine_parts_more_often(shared_events: list) -> None:
    ownership = {
        e.dealer_id: e.ownership for e in shared_events if e.event_type == "dealer.registered"
    }
    fitted = {"owned": [0, 0], "franchised": [0, 0]}
    for event in shared_events:
        if event.event_type == "repair.completed" and event.parts:
            counts = fitted[ownership[event.dealer_id]]
            counts[0] += not event.parts[0].genuine
            counts[1] += 1
    owned = fitted["owned"][0] / fitted["owned"][1]
    franchised = fitted["franchised"][0] / fitted["franchised"][1]
    assert owned < 0.1
    assert 0.25 < franchised < 0.45


def test_repeat_repairs_lower_customer_satisfaction(shared_events: list) -> None:
    last_visit: dict[tuple[str, str], datetime] = {}
    repeats: set[str] = set()
    for event in shared_events:
        if event.event_type == "repair.completed":
            key = (event.product.serial, event.component.split(":")[0])
            previous = last_visit.get(key)
            if previous is not None and event.occurred_at - previous <= WINDOW:
                repeats.add(event.repair_id)
            last_visit[key] = event.occurred_at
    scores: dict[bool, list[int]] = {True: [], False: []}
    for event in shared_events:
        if event.event_type == "survey.answered":
            scores[event.repair_id in repeats].append(event.csat)
    assert len(scores[True]) > 50
    assert _mean(scores[True]) < _mean(scores[False]) - 0.5


def _mean(values: list[int]) -> float:
    return sum(values) / len(values)


def _end_of_run() -> datetime:
    return datetime.combine(SHARED_RUN.end, datetime.min.time(), UTC)
