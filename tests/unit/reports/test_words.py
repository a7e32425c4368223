"""The report's plain words: component names from the taxonomy, odds, one sentence per flag."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.enrichment import load_taxonomy
from pipeline.reports.words import (
    chance_text,
    component_name,
    flag_sentence,
    method_meaning,
    method_name,
    variant_text,
)

TAXONOMY = load_taxonomy()


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("ENGINE:COOLING:PUMP", "Coolant (water) pump"),
        ("SERVICE_BRAKES", "Service brakes"),  # NHTSA's name, mapped by the taxonomy's aliases
        ("HVAC:FAN_MOTOR", "Heating, ventilation and air conditioning"),
        ("WIDGETS:LEFT_HINGE", "Widgets › Left hinge"),
    ],
)
def test_components_are_named_in_words_even_when_the_taxonomy_lacks_the_code(
    code: str, name: str
) -> None:
    assert component_name(code, TAXONOMY).startswith(name)
    assert component_name(code, None) != ""


def test_a_sub_component_unknown_to_the_taxonomy_is_spelled_out_under_its_parent() -> None:
    assert component_name("HVAC:FAN_MOTOR", TAXONOMY).endswith("› Fan motor")


def test_odds_are_given_as_one_in_so_many() -> None:
    assert chance_text(0.004) == "1 in 250"
    assert chance_text(2e-5) == "less than 1 in a thousand"
    assert chance_text(1e-12) == "less than 1 in a billion"
    assert chance_text(None) == chance_text(1.0) == chance_text(0.0) == ""


def test_variants_and_methods_read_as_words() -> None:
    assert variant_text("*") == "all variants"
    assert variant_text("rev B@JP") == "rev B, units in JP"
    assert method_name("baseline_3_in_30d") == "3 failures in 30 days"
    assert "365 days" in method_meaning("complaint_signal")
    assert method_meaning("something_new").startswith("A detector")


def test_one_sentence_says_what_where_since_when_how_unusual_and_how_many() -> None:
    sentence = flag_sentence(
        component="Service brakes",
        product="宝马 宝马X1 (2022款)",
        noun="complaint",
        observed=15,
        expected=0.46,
        window_days=365,
        window_end=date(2024, 3, 5),
        since=date(2024, 2, 26),
        markets=["CN (16)", "US (2)", "DE (1)", "FR (1)"],
        evidence={"chance": 4.7e-18},
        units=None,
    )

    assert sentence == (
        "Service brakes on 宝马 宝马X1 (2022款): 15 complaints in the 365 days to 2024-03-05 "
        "where 0.5 were expected (32.6× as many), flagged since 2024-02-26, in CN (16), US (2), "
        "DE (1) and 1 more; odds of this by chance: less than 1 in a billion."
    )


def test_a_sentence_without_detector_numbers_still_reads() -> None:
    sentence = flag_sentence(
        component="Compressor", product="Acme Cool 3000 (2024)", noun="failure", observed=None,
        expected=None, window_days=None, window_end=None, since=date(2024, 5, 1), markets=[],
        evidence={}, units=1234.4,
    )  # fmt: skip

    assert sentence == (
        "Compressor on Acme Cool 3000 (2024): an unknown number of failures, flagged since "
        "2024-05-01, among about 1,234 units in service."
    )
