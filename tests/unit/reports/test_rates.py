"""Repeat-repair rates by the parts the repaired-again repair had fitted."""

from __future__ import annotations

from pipeline.reports.quality import repeat_rates


def test_counts_a_repair_once_per_part_however_many_it_fitted() -> None:
    fitted = [("r1", "P-1"), ("r1", "P-1"), ("r2", "P-1"), ("r3", "P-1"), ("r4", "P-1")]
    fitted += [("r5", "P-1"), ("r5", "P-2")]

    rates = {r.key: r for r in repeat_rates(fitted, repeated={"r1", "r5", "r9"})}

    assert (rates["P-1"].repeated, rates["P-1"].repairs, rates["P-1"].rate) == (2, 5, 0.4)
    assert (rates["P-2"].repeated, rates["P-2"].repairs, rates["P-2"].rate) == (1, 1, 1.0)


def test_orders_worst_rate_first_then_by_volume() -> None:
    fitted = [("a", "X"), ("b", "Y"), ("c", "Y"), ("d", "Z"), ("e", "Z"), ("f", "Z")]

    rates = repeat_rates(fitted, repeated={"a", "b", "c", "d"})

    assert [r.key for r in rates] == ["Y", "X", "Z"]
