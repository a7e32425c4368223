"""Repeat repairs: the same unit back for the same fault family, and the groups that cause them."""

from __future__ import annotations

from datetime import timedelta

from pipeline.detection import (
    GroupRate,
    PartUsed,
    RepairFact,
    group_rates,
    is_repeat_repair,
    repair_fact_from_event,
    repeat_repair_outliers,
    repeated_repair,
)
from tests.unit.detection.detection_factories import at, repair_event

GENUINE = PartUsed("P-100", "OEM Parts", genuine=True)
KNOCK_OFF = PartUsed("X-100", "Cheap Co", genuine=False)


def _repair(
    rid: str,
    serial: str,
    day: int,
    component: str = "BRAKES:PADS",
    *parts: PartUsed,
    technician: str = "T1",
) -> RepairFact:
    return RepairFact(rid, serial, component, at(day), "D1", technician, tuple(parts))


def test_same_unit_same_fault_family_within_ninety_days_is_a_repeat() -> None:
    first = _repair("R1", "VIN1", 0, "BRAKES:PADS")
    again = _repair("R2", "VIN1", 60, "BRAKES:DISCS")

    assert is_repeat_repair([first], again)
    assert repeated_repair([first], again) == first


def test_other_unit_other_family_or_too_late_is_not_a_repeat() -> None:
    first = _repair("R1", "VIN1", 0, "BRAKES:PADS")

    assert not is_repeat_repair([first], _repair("R2", "VIN2", 10, "BRAKES:PADS"))
    assert not is_repeat_repair([first], _repair("R3", "VIN1", 10, "ENGINE:PUMP"))
    assert not is_repeat_repair([first], _repair("R4", "VIN1", 91, "BRAKES:PADS"))
    assert is_repeat_repair([first], _repair("R4", "VIN1", 91, "BRAKES"), window_days=120)
    assert not is_repeat_repair([first], first)


def test_repair_event_becomes_a_fact_with_its_parts() -> None:
    fact = repair_fact_from_event(repair_event())

    assert fact.serial == "VIN9"
    assert fact.fault_family == "BRAKES"
    assert fact.parts == (PartUsed("P-1", "S", genuine=False),)


def test_the_first_repair_is_blamed_for_the_repeat_in_every_group_it_belongs_to() -> None:
    repairs = [
        _repair("R1", "VIN1", 0, "BRAKES", KNOCK_OFF, technician="T9"),
        _repair("R2", "VIN1", 30, "BRAKES", GENUINE),
        _repair("R3", "VIN2", 0, "BRAKES", GENUINE),
    ]

    rates = {(g.dimension, g.group): (g.repairs, g.repeats) for g in group_rates(repairs)}

    assert rates[("genuine", "non_genuine")] == (1, 1)
    assert rates[("genuine", "genuine")] == (2, 0)
    assert rates[("supplier", "Cheap Co")] == (1, 1)
    assert rates[("technician", "T9")] == (1, 1)
    assert rates[("technician", "T1")] == (2, 0)


def test_flags_the_supplier_whose_parts_come_back_four_times_as_often() -> None:
    groups = [
        GroupRate("supplier", "Cheap Co", repairs=200, repeats=40),
        GroupRate("supplier", "OEM Parts", repairs=2000, repeats=100),
        GroupRate("supplier", "Other OEM", repairs=1500, repeats=80),
        GroupRate("dealer", "D1", repairs=1850, repeats=112),
        GroupRate("dealer", "D2", repairs=1850, repeats=108),
    ]

    (outlier,) = repeat_repair_outliers(groups, min_repairs=50)

    assert (outlier.dimension, outlier.group) == ("supplier", "Cheap Co")
    assert outlier.rate == 0.2
    assert 0.05 < outlier.peer_rate < 0.06
    assert outlier.peer_rate < outlier.shrunk_rate < outlier.rate


def test_small_groups_are_not_judged_and_a_bad_streak_of_three_is_not_an_outlier() -> None:
    groups = [
        GroupRate("technician", "T-new", repairs=3, repeats=3),
        GroupRate("technician", "T-mid", repairs=40, repeats=4),
        GroupRate("technician", "T-old", repairs=900, repeats=60),
    ]

    assert repeat_repair_outliers(groups, min_repairs=20) == []


def test_a_repeat_needs_the_later_repair_after_the_earlier_one() -> None:
    first = _repair("R1", "VIN1", 10)
    earlier = RepairFact("R0", "VIN1", "BRAKES", first.at - timedelta(days=5))

    assert not is_repeat_repair([first], earlier)
