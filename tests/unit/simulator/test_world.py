from __future__ import annotations

import re
from collections import Counter

import pytest

from producers.simulator import SimulationConfig, SimulationConfigError
from producers.simulator.config import MIN_ONSET_DAY
from tests.unit.simulator.conftest import SHARED_RUN

CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"days": 0, "rate": 10},
        {"days": 30, "rate": 0},
        {"days": 30, "rate": 10, "defects": -1},
        {"days": MIN_ONSET_DAY, "rate": 10, "defects": 1},
    ],
)
def test_rejects_a_run_it_cannot_build(kwargs: dict) -> None:
    with pytest.raises(SimulationConfigError):
        SimulationConfig(seed=1, **kwargs)


def test_default_defect_count_is_about_four_for_a_year_or_two() -> None:
    assert SimulationConfig(seed=1, days=365, rate=1).defect_count == 4
    assert SimulationConfig(seed=1, days=730, rate=1).defect_count == 4
    assert SimulationConfig(seed=1, days=60, rate=1).defect_count == 0


def test_new_tickets_per_day_match_the_requested_rate(shared_events: list) -> None:
    opened = sum(1 for e in shared_events if e.event_type == "ticket.opened")
    assert 0.8 * SHARED_RUN.rate < opened / SHARED_RUN.days < 1.25 * SHARED_RUN.rate


def test_markets_span_currencies_languages_and_time_zones(shared_events: list) -> None:
    repairs = [e for e in shared_events if e.event_type == "repair.completed"]
    currencies = {r.total_cost.currency for r in repairs if r.total_cost}
    assert {"EUR", "GBP", "USD", "BRL", "CNY", "JPY", "INR", "AUD"} <= currencies
    opened = [e for e in shared_events if e.event_type == "ticket.opened"]
    assert {"de", "fr", "es", "en", "pt", "zh", "ja"} <= {t.customer.language for t in opened}
    offsets = {t.occurred_at.utcoffset() for t in opened}
    assert len(offsets) >= 8
    for ticket in opened:
        assert ticket.customer.timezone == str(ticket.occurred_at.tzinfo)


def test_complaints_are_written_in_the_customers_language(shared_events: list) -> None:
    complaints = [e for e in shared_events if e.event_type == "complaint.filed"]
    assert len(complaints) > 100
    for complaint in complaints:
        assert complaint.language == complaint.customer.language
        assert bool(CJK.search(complaint.text)) == (complaint.language in ("zh", "ja"))
    assert any(c.crash or c.fire for c in complaints)
    assert not any(c.crash or c.fire for c in complaints if c.product.brand in ("Arctiq", "Helio"))


def test_dealers_are_owned_or_franchised_and_report_to_groups(shared_events: list) -> None:
    dealers = [e for e in shared_events if e.event_type == "dealer.registered"]
    assert Counter(d.ownership for d in dealers).keys() == {"owned", "franchised"}
    assert len({d.country for d in dealers}) == 10
    assert len({d.group for d in dealers}) >= 5
    assert all(re.fullmatch(r"[A-Z]{2}-\d{3}", d.dealer_id) for d in dealers)


def test_installed_base_is_reported_monthly_per_variant_and_market(shared_events: list) -> None:
    reports = [e for e in shared_events if e.event_type == "units_sold.reported"]
    months = {r.month for r in reports}
    assert len(months) >= 36
    keys = [(r.brand, r.model, r.variant, r.market, r.month) for r in reports]
    assert len(keys) == len(set(keys))
    assert all(r.count > 0 for r in reports)


def test_sources_name_the_dealer_or_the_channel(shared_events: list) -> None:
    sources = {e.source.split(":")[1] for e in shared_events}
    assert {"dealer", "callcentre", "survey", "casebook", "sales", "factory"} <= sources
    assert all(e.source.startswith("sim:") for e in shared_events)


def test_franchised_dealers_leave_customers_less_satisfied(shared_events: list) -> None:
    ownership = {
        e.dealer_id: e.ownership for e in shared_events if e.event_type == "dealer.registered"
    }
    scores: dict[str, list[int]] = {"owned": [], "franchised": []}
    for event in shared_events:
        if event.event_type == "survey.answered" and event.csat is not None:
            scores[ownership[event.dealer_id]].append(event.csat)
    owned = sum(scores["owned"]) / len(scores["owned"])
    franchised = sum(scores["franchised"]) / len(scores["franchised"])
    assert franchised < owned - 0.2


def test_most_complaints_are_confirmed_resolved_but_not_all(shared_events: list) -> None:
    confirmations = [
        e.resolved for e in shared_events if e.event_type == "complaint.resolution_confirmed"
    ]
    resolved_share = sum(confirmations) / len(confirmations)
    assert 0.6 < resolved_share < 0.95
