from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from schemas.codec import encode
from schemas.events import INBOUND


def test_events_come_in_non_decreasing_event_time(shared_events: list) -> None:
    times = [event.occurred_at for event in shared_events]
    assert all(a <= b for a, b in pairwise(times))


def test_every_event_survives_the_wire_contract(shared_events: list) -> None:
    for event in shared_events[::25]:
        assert INBOUND.validate_json(encode(event)) == event


def test_units_dealers_and_models_are_published_before_anything_refers_to_them(
    shared_events: list,
) -> None:
    sold: set[str] = set()
    dealers: set[str] = set()
    models: set[tuple[str, str, str | None]] = set()
    for event in shared_events:
        kind = event.event_type
        if kind == "unit.sold":
            assert event.dealer_id in dealers
            sold.add(event.product.serial)
        elif kind == "dealer.registered":
            dealers.add(event.dealer_id)
        elif kind == "product_model.registered":
            models.add((event.brand, event.model, event.variant))
        product = getattr(event, "product", None)
        if product is not None:
            assert (product.brand, product.model, product.variant) in models
            if kind != "unit.sold":
                assert product.serial in sold, event
        dealer_id = getattr(event, "dealer_id", None)
        if dealer_id is not None:
            assert dealer_id in dealers, event


def test_each_ticket_runs_open_assign_resolve_close_in_that_order(shared_events: list) -> None:
    order = {"ticket.opened": 0, "ticket.assigned": 1, "ticket.resolved": 2, "ticket.closed": 3}
    seen: dict[str, list[int]] = defaultdict(list)
    for event in shared_events:
        if event.event_type == "ticket.reopened":
            seen[event.ticket_id].append(-1)
        elif event.event_type in order:
            seen[event.ticket_id].append(order[event.event_type])
    assert len(seen) > 1_000
    for steps in seen.values():
        episodes = _split_on_reopen(steps)
        for episode in episodes:
            assert episode == sorted(episode)
        assert episodes[0][0] == 0


def test_complaints_are_filed_before_updates_and_confirmation(shared_events: list) -> None:
    filed: set[str] = set()
    confirmed = 0
    for event in shared_events:
        if event.event_type == "complaint.filed":
            filed.add(event.complaint_id)
        elif event.event_type in ("complaint.updated", "complaint.resolution_confirmed"):
            assert event.complaint_id in filed
            confirmed += event.event_type == "complaint.resolution_confirmed"
    assert filed
    assert confirmed


def _split_on_reopen(steps: list[int]) -> list[list[int]]:
    episodes: list[list[int]] = [[]]
    for step in steps:
        if step == -1:
            episodes.append([])
        else:
            episodes[-1].append(step)
    return [e for e in episodes if e]
