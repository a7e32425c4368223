"""Dealer KPIs on a small hand-built set; every expected number is worked out in the comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipeline.casebook import (
    CaseFacts,
    DealerInfo,
    FeedbackFacts,
    FollowUpFacts,
    KpiRow,
    RepairFacts,
    TicketFacts,
    compute_kpis,
    worst_dealers,
)
from pipeline.casebook.kpis import GroupBy, stalled_dealers

DAY0 = datetime(2024, 1, 1, tzinfo=UTC)
NOW = DAY0 + timedelta(days=100)
H = timedelta(hours=1)

DEALERS = [
    DealerInfo("D1", country="DE", ownership="owned", group="Nord", region="EU"),
    DealerInfo("D2", country="DE", ownership="franchised", group="Nord", region="EU"),
    DealerInfo("D3", country="CN", ownership="owned", group="Asia", region="APAC"),
]


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def fix(
    repair_id: str,
    dealer: str,
    serial: str | None,
    component: str,
    on: int,
    genuine: int = 0,
    other: int = 0,
    outcome: str = "fixed",
    ticket: str | None = None,
) -> RepairFacts:
    return RepairFacts(
        repair_id, dealer, serial, component, day(on), outcome, genuine, other, ticket
    )


REPAIRS = [
    # D1, owned, genuine parts only. R2 is repeated at D3 30 days later (same unit, BRAKES);
    # R4 is the same unit as R1 but 200 days later, outside the 90-day window.
    fix("R1", "D1", "A1", "ENGINE:PUMP", 0, genuine=2, ticket="T1"),
    fix("R2", "D1", "A2", "BRAKES", 1, genuine=1, ticket="T2"),
    fix("R3", "D1", "A3", "ENGINE", 2, genuine=1),
    fix("R4", "D1", "A1", "ENGINE:BELT", 200, genuine=1),
    # D2, franchised, cheap parts: B1 comes back twice for ENGINE, B2 twice for BRAKES.
    fix("R5", "D2", "B1", "ENGINE:PUMP", 0, other=2, ticket="T4"),
    fix("R6", "D2", "B1", "ENGINE:PUMP", 20, other=1),
    fix("R7", "D2", "B1", "ENGINE:HOSE", 50, genuine=1),
    fix("R8", "D2", "B2", "BRAKES:PADS", 5, other=1, outcome="not_fixed"),
    fix("R9", "D2", "B2", "BRAKES:DISC", 10, other=1),
    # D3: R10 is the repeat of D1's R2; R11 has no serial, so no repeat can be judged on it.
    fix("R10", "D3", "A2", "BRAKES:PADS", 30, genuine=1),
    fix("R11", "D3", None, "ENGINE", 3, genuine=1),
    # A dealer nobody registered.
    fix("R12", "D9", "Z1", "ENGINE", 3),
]
TICKETS = [
    TicketFacts("T1", "D1", day(0), assigned_at=day(0) + 2 * H, resolved_at=day(0) + 24 * H),
    TicketFacts("T2", "D1", day(1), assigned_at=day(1) + 4 * H, resolved_at=day(1) + 48 * H),
    TicketFacts("T3", "D1", day(2), assigned_at=day(2) + 6 * H),
    TicketFacts("T4", "D2", day(0), assigned_at=day(0) + 10 * H, resolved_at=day(0) + 100 * H),
]
FOLLOWUPS = [
    FollowUpFacts("F1", reached=True, repair_id="R1"),  # covers ticket T1 through its repair
    FollowUpFacts("F2", reached=False, ticket_id="T2"),
    FollowUpFacts("F3", reached=True, repair_id="R3"),
    FollowUpFacts("F4", reached=True, repair_id="R10"),
]
FEEDBACK = [
    FeedbackFacts("D1", day(3), csat=5, nps=10),
    FeedbackFacts("D1", day(3), csat=4, nps=9),
    FeedbackFacts("D1", day(3), nps=7),
    FeedbackFacts("D2", day(3), csat=2, nps=3),
    FeedbackFacts("D2", day(3), csat=3, nps=9),
    FeedbackFacts("D2", day(3), nps=5),
    FeedbackFacts("D2", day(3), nps=6),
]
CASES = [
    CaseFacts("K1", "D1", "open", sla_due_at=day(90)),
    CaseFacts("K2", "D1", "closed", sla_due_at=day(10)),
    CaseFacts("K3", "D2", "escalated", sla_due_at=day(95)),
    CaseFacts("K4", "D2", "resolved", sla_due_at=day(50)),
    CaseFacts("K5", "D2", "open", sla_due_at=day(120)),
]


def kpis(by: GroupBy) -> dict[str, KpiRow]:
    rows = compute_kpis(
        DEALERS,
        tickets=TICKETS,
        repairs=REPAIRS,
        feedback=FEEDBACK,
        cases=CASES,
        followups=FOLLOWUPS,
        by=by,
        now=NOW,
    )
    return {row.key: row for row in rows}


def test_dealer_kpis_match_the_numbers_worked_out_by_hand() -> None:
    rows = kpis("dealer")
    assert sorted(rows) == ["D1", "D2", "D3", "unknown"]
    d1, d2, d3 = rows["D1"], rows["D2"], rows["D3"]

    assert (d1.tickets, d1.repairs, d1.repairs_with_serial) == (3, 4, 4)
    assert d1.median_first_response_hours == 4.0  # 2, 4, 6
    assert d1.median_resolution_hours == 36.0  # 24, 48
    assert d1.repeat_repair_rate == 0.25  # R2 of 4
    assert d1.first_time_fix_rate == 0.75
    assert d1.genuine_parts_ratio == 1.0
    assert d1.followup_coverage == 0.5  # T1 (via R1) and R3 of T1, T2, R3, R4
    assert d1.csat_mean == 4.5
    assert d1.nps == pytest.approx(200 / 3)  # 2 promoters, 0 detractors of 3
    assert (d1.open_cases, d1.overdue_cases) == (1, 1)

    assert (d2.median_first_response_hours, d2.median_resolution_hours) == (10.0, 100.0)
    assert d2.repeat_repair_rate == 0.6  # R5, R6, R8 of 5
    assert d2.first_time_fix_rate == 0.4  # R7, R9
    assert d2.genuine_parts_ratio == pytest.approx(1 / 6)
    assert d2.followup_coverage == 0.0  # T4, R6, R7, R8, R9, none reached
    assert d2.csat_mean == 2.5
    assert d2.nps == -50.0  # 1 promoter, 3 detractors of 4
    assert (d2.open_cases, d2.overdue_cases) == (3, 1)

    assert (d3.repairs, d3.repairs_with_serial, d3.repeat_repair_rate) == (2, 1, 0.0)
    assert d3.followup_coverage == 0.5  # R10 of R10, R11
    assert (d3.median_first_response_hours, d3.csat_mean, d3.nps) == (None, None, None)
    assert (rows["unknown"].dealers, rows["unknown"].repairs) == (0, 1)


def test_the_franchised_dealer_with_non_genuine_parts_repairs_again_more_often() -> None:
    rows = kpis("dealer")
    franchised, owned = rows["D2"], rows["D1"]
    assert (franchised.genuine_parts_ratio or 0.0) < (owned.genuine_parts_ratio or 0.0)
    assert (franchised.repeat_repair_rate or 0.0) > (owned.repeat_repair_rate or 1.0)
    by_ownership = kpis("ownership")
    assert by_ownership["franchised"].repeat_repair_rate == 0.6
    assert by_ownership["owned"].repeat_repair_rate == 0.2  # R2 of R1-R4 and R10


def test_group_figures_pool_the_dealers_facts_instead_of_averaging_their_rates() -> None:
    nord = kpis("group")["Nord"]
    assert nord.dealers == 2  # the franchised dealer counts in its group
    assert nord.repeat_repair_rate == pytest.approx(4 / 9)  # not (0.25 + 0.6) / 2
    assert nord.first_time_fix_rate == pytest.approx(5 / 9)
    assert nord.genuine_parts_ratio == pytest.approx(6 / 11)
    assert nord.median_first_response_hours == 5.0  # 2, 4, 6, 10
    assert nord.median_resolution_hours == 48.0  # 24, 48, 100
    assert nord.followup_coverage == pytest.approx(2 / 9)
    assert nord.csat_mean == 3.5
    assert nord.nps == 0.0  # 3 promoters, 3 detractors of 7
    assert (nord.open_cases, nord.overdue_cases) == (4, 2)


def test_country_and_region_roll_ups_hold_the_same_dealers() -> None:
    de, eu = kpis("country")["DE"], kpis("region")["EU"]
    assert de.repeat_repair_rate == eu.repeat_repair_rate == pytest.approx(4 / 9)
    assert kpis("region")["APAC"].repairs == 2


def test_worst_dealers_ranks_by_repeat_repairs_and_puts_dealers_too_small_to_judge_last() -> None:
    rows = list(kpis("dealer").values())
    ranked = [r.key for r in worst_dealers(rows, 5, min_repairs=3)]
    assert ranked[:2] == ["D2", "D1"]
    assert sorted(ranked[2:]) == ["D3", "unknown"]
    assert [r.key for r in worst_dealers(rows, 1, min_repairs=1)] == ["D2"]
    assert [r.key for r in worst_dealers(rows, 5, min_repairs=1)] == ["D2", "D1", "D3", "unknown"]


def test_case_kpis_count_confirmed_and_unconfirmed_closings_and_owner_fallbacks() -> None:
    cases = [
        CaseFacts("A", "D1", "closed", day(10), opened_at=day(0), confirmed_at=day(4)),
        CaseFacts("B", "D1", "closed", day(10), opened_at=day(0), confirmed_at=day(8)),
        CaseFacts("C", "D1", "unconfirmed", day(10), opened_at=day(0), owner_fallback=True),
        CaseFacts("D", "D1", "escalated", day(10), opened_at=day(0)),
    ]
    row = compute_kpis(DEALERS, cases=cases, now=NOW)[0]
    assert row.key == "D1"
    assert (row.cases, row.confirmed_cases, row.unconfirmed_cases) == (4, 2, 1)
    assert row.confirmed_share == 0.5
    assert row.median_days_to_confirmed_fix == 6.0
    assert (row.open_cases, row.overdue_cases, row.owner_fallbacks) == (1, 1, 1)


def test_a_dealer_leaving_most_recently_due_cases_open_is_stalled() -> None:
    now = day(100)
    due = [day(100 - n) for n in range(1, 11)]  # ten deadlines within the last ten days
    stuck = [CaseFacts(f"S{n}", "D1", "escalated", at) for n, at in enumerate(due[:6])]
    stuck += [CaseFacts(f"T{n}", "D1", "closed", at) for n, at in enumerate(due[6:])]
    working = [CaseFacts(f"W{n}", "D2", "escalated", at) for n, at in enumerate(due[:3])]
    working += [CaseFacts(f"X{n}", "D2", "closed", at) for n, at in enumerate(due[3:])]
    old_tail = [CaseFacts(f"O{n}", "D2", "escalated", day(10)) for n in range(20)]
    few = [CaseFacts(f"F{n}", "D3", "open", due[n]) for n in range(3)]
    found = stalled_dealers(
        stuck + working + old_tail + few,
        now,
        window=timedelta(days=30),
        min_cases=5,
        share=0.5,
    )
    assert found == ["D1"]


def test_dealer_rows_are_labelled_by_name_and_id_and_roll_ups_by_their_key() -> None:
    names = {"D1": "Nord Service", "D2": "Süd Partner [franchise]"}
    dealers = compute_kpis(DEALERS, repairs=REPAIRS, now=NOW, names=names)
    assert [(r.key, r.label) for r in dealers] == [
        ("D1", "Nord Service (D1)"),
        ("D2", "Süd Partner [franchise] (D2)"),
        ("D3", "D3"),  # registered without a name
        ("unknown", "unknown"),
    ]
    groups = compute_kpis(DEALERS, repairs=REPAIRS, by="group", now=NOW, names=names)
    assert [r.label for r in groups] == ["Asia", "Nord", "unknown"]
