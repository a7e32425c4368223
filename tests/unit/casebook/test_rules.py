"""The rules file: the packaged default loads, and a broken file says what to fix."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from pipeline.casebook import RulesError, load_rules, parse_rules
from pipeline.common.errors import PipelineError


def default_document() -> dict[str, Any]:
    text = resources.files("pipeline.casebook").joinpath("data/rules.toml").read_text()
    return tomllib.loads(text)


def test_the_packaged_rules_load_with_the_documented_defaults() -> None:
    rules = load_rules()
    assert rules.cases.sla["critical"] == timedelta(days=2)
    assert rules.cases.sla["low"] == timedelta(days=20)
    assert rules.cases.reopen_window == timedelta(days=90)
    assert rules.followups.offsets == (timedelta(days=7), timedelta(days=30))
    assert (rules.followups.business_start, rules.followups.business_end) == (time(9), time(18))
    assert rules.followups.business_days == frozenset(range(5))
    assert (rules.followups.cap, rules.followups.cap_window) == (2, timedelta(days=30))
    assert (rules.detractors.nps_max, rules.detractors.csat_max) == (6, 2)


def test_rules_load_from_a_given_file(tmp_path: Path) -> None:
    text = resources.files("pipeline.casebook").joinpath("data/rules.toml").read_text()
    path = tmp_path / "rules.toml"
    path.write_text(text.replace("offsets_days = [7, 30]", "offsets_days = [3]"))
    assert load_rules(path).followups.offsets == (timedelta(days=3),)


def test_a_missing_file_raises_a_pipeline_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(PipelineError, match=r"nope\.toml"):
        load_rules(missing)


@pytest.mark.parametrize(
    ("table", "key", "value", "message"),
    [
        ("followups", "business_days", ["mon", "funday"], "business_days"),
        ("followups", "business_start", "19:00", "earlier than"),
        ("followups", "offsets_days", [7, -1], "offsets_days"),
        ("severity", "default", "urgent", "severity.default"),
        ("assignment", "default_team", [], "default_team"),
        ("detractors", "nps_max", 11, "nps_max"),
        ("closing", "unconfirmed_after_days", 0, "unconfirmed_after_days"),
        ("closing", "confirming_call_outcomes", "satisfied", "confirming_call_outcomes"),
        ("kpis", "stalled_share", 1.5, "stalled_share"),
        ("cases", "public_sources", "nhtsa", "public_sources"),
    ],
)
def test_an_unusable_rule_is_refused_with_a_message_naming_it(
    table: str, key: str, value: object, message: str
) -> None:
    document = default_document()
    document[table][key] = value
    with pytest.raises(RulesError, match=message):
        parse_rules(document)


def test_a_dealer_override_team_takes_precedence_over_the_market() -> None:
    from pipeline.casebook.triage import choose_owner

    document = default_document()
    document["assignment"]["dealers"] = {"D-042": ["d042.lead"]}
    assignment = parse_rules(document).assignment
    assert choose_owner(assignment, case_key="x", market="DE", dealer_id="D-042") == "d042.lead"
    assert choose_owner(assignment, case_key="x", market="IT", dealer_id=None) == "aftersales.desk"


def test_every_reason_a_case_opens_for_needs_its_closing_rule() -> None:
    document = default_document()
    del document["closing"]["detractor"]
    with pytest.raises(RulesError, match=r"closing\.detractor"):
        parse_rules(document)


def test_a_closing_rule_naming_an_unknown_confirmation_is_refused() -> None:
    document = default_document()
    document["closing"]["complaint"]["confirmed_by"] = ["call", "carrier pigeon"]
    with pytest.raises(RulesError, match="carrier pigeon"):
        parse_rules(document)


def test_the_packaged_rules_close_every_reason_and_wait_three_weeks_for_confirmation() -> None:
    closing = load_rules().closing
    assert closing.unconfirmed_after == timedelta(days=21)
    assert set(closing.reasons) == {"complaint", "detractor", "problem_persists", "new_problem"}
    assert all(rule.confirmed_by for rule in closing.reasons.values())
    assert closing.of("complaint").confirmed_by >= {"resolution_confirmed", "call", "survey"}
    assert not closing.of("complaint").confirms_unresolved


@pytest.mark.parametrize(
    ("source", "public"),
    [
        ("nhtsa", True),
        ("nhtsa:2024-flat-files", True),
        ("cn-car-complaints", True),
        ("public:forum", True),
        ("sim:callcentre", False),
        ("dealer-portal", False),
        ("NHTSA", False),
    ],
)
def test_public_sources_are_matched_by_pattern(source: str, public: bool) -> None:
    assert load_rules().cases.is_public(source) is public


def test_a_source_taken_off_the_public_list_is_treated_as_our_customers() -> None:
    document = default_document()
    document["cases"]["public_sources"] = ["cn-car-complaints"]
    cases = parse_rules(document).cases
    assert not cases.is_public("nhtsa")
    assert cases.is_public("cn-car-complaints")
