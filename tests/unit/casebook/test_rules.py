"""The rules file: the packaged default loads, and a broken file says what to fix."""

from __future__ import annotations

import tomllib
from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from pipeline.casebook import RulesError, load_rules, parse_rules
from pipeline.errors import PipelineError


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
    assert choose_owner(assignment, case_key="x", market="FR", dealer_id=None) == "aftersales.desk"
