"""The case book's rules: one TOML file parsed into frozen values, checked once at load."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

from pipeline.common.errors import PipelineError

Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
Confirmation = Literal["resolution_confirmed", "call", "survey"]
CONFIRMATIONS: tuple[Confirmation, ...] = get_args(Confirmation)
CASE_REASONS = ("complaint", "detractor", "problem_persists", "new_problem")
"""Every reason a case opens for; each needs a [closing.<reason>] table."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_OWNER_LENGTH = 64


class RulesError(PipelineError):
    """The rules file is missing a key or holds a value the case book cannot use."""


@dataclass(frozen=True, slots=True)
class CaseRules:
    reopen_window: timedelta
    resolving_repair_outcomes: frozenset[str]
    resolution_note_prefixes: tuple[str, ...]
    sla: Mapping[Severity, timedelta]
    public_sources: tuple[str, ...] = ()
    """fnmatch patterns of event sources that are public complaint streams, not our customers."""

    def is_public(self, source: str) -> bool:
        """Whether events from `source` stay out of the case book and the follow-up plan."""
        return any(fnmatchcase(source, pattern) for pattern in self.public_sources)


@dataclass(frozen=True, slots=True)
class ReasonClosing:
    """How a case opened for one reason is closed."""

    confirmed_by: frozenset[Confirmation]
    confirms_unresolved: bool


@dataclass(frozen=True, slots=True)
class ClosingRules:
    unconfirmed_after: timedelta
    """How long a resolved case waits for the customer's confirmation before closing unconfirmed."""
    confirming_call_outcomes: frozenset[str]
    reasons: Mapping[str, ReasonClosing]

    def of(self, reason: str) -> ReasonClosing:
        """The closing rule of `reason`; an unknown reason is closed like a complaint."""
        return self.reasons.get(reason) or self.reasons["complaint"]


@dataclass(frozen=True, slots=True)
class SeverityRules:
    critical_keywords: tuple[str, ...]
    high_keywords: tuple[str, ...]
    low_keywords: tuple[str, ...]
    components: Mapping[str, Severity]
    default: Severity
    detractor: Severity
    followup_problem_persists: Severity
    followup_new_problem: Severity


@dataclass(frozen=True, slots=True)
class AssignmentRules:
    default_team: tuple[str, ...]
    markets: Mapping[str, tuple[str, ...]]
    dealers: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class DetractorRules:
    nps_max: int
    csat_max: int


@dataclass(frozen=True, slots=True)
class FollowUpRules:
    offsets: tuple[timedelta, ...]
    reason: str
    business_start: time
    business_end: time
    business_days: frozenset[int]
    """Weekday numbers as datetime.weekday() gives them (Monday is 0)."""
    cap: int
    cap_window: timedelta


@dataclass(frozen=True, slots=True)
class KpiRules:
    repeat_window: timedelta
    min_repairs: int
    stalled_window: timedelta
    stalled_min_cases: int
    stalled_share: float


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything the case book, the follow-up planner and the KPIs are told."""

    cases: CaseRules
    closing: ClosingRules
    severity: SeverityRules
    assignment: AssignmentRules
    detractors: DetractorRules
    followups: FollowUpRules
    kpis: KpiRules


def load_rules(path: Path | None = None) -> Rules:
    """Read the rules from `path`, or the packaged default `pipeline/casebook/data/rules.toml`."""
    try:
        if path is None:
            text = resources.files("pipeline.casebook").joinpath("data/rules.toml").read_text()
        else:
            text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(
            f"cannot read case book rules from {path or 'package data'}: {exc}"
        ) from exc
    return parse_rules(raw)


def parse_rules(raw: Mapping[str, Any]) -> Rules:
    """Build Rules from an already parsed TOML document (tests pass dicts directly)."""
    cases, severity = _table(raw, "cases"), _table(raw, "severity")
    assignment, detractors = _table(raw, "assignment"), _table(raw, "detractors")
    followups, kpis = _table(raw, "followups"), _table(raw, "kpis")
    closing = _table(raw, "closing")
    sla_days = _table(cases, "sla_days", "cases.")
    return Rules(
        cases=CaseRules(
            reopen_window=timedelta(days=_positive(cases, "reopen_window_days")),
            resolving_repair_outcomes=frozenset(_strings(cases, "resolving_repair_outcomes")),
            resolution_note_prefixes=tuple(
                p.lower() for p in _strings(cases, "resolution_note_prefixes")
            ),
            sla=MappingProxyType(
                {s: timedelta(days=_positive(sla_days, s, "cases.sla_days.")) for s in SEVERITIES}
            ),
            public_sources=tuple(_strings(cases, "public_sources")),
        ),
        closing=_closing_rules(closing),
        severity=SeverityRules(
            critical_keywords=_keywords(severity, "critical_keywords"),
            high_keywords=_keywords(severity, "high_keywords"),
            low_keywords=_keywords(severity, "low_keywords"),
            components=MappingProxyType(
                {
                    code.upper(): _severity_value(value, f"severity.components.{code}")
                    for code, value in _table(severity, "components", "severity.").items()
                }
            ),
            default=_severity(severity, "default"),
            detractor=_severity(severity, "detractor"),
            followup_problem_persists=_severity(severity, "followup_problem_persists"),
            followup_new_problem=_severity(severity, "followup_new_problem"),
        ),
        assignment=AssignmentRules(
            default_team=_team(assignment.get("default_team"), "assignment.default_team"),
            markets=_teams(assignment, "markets"),
            dealers=_teams(assignment, "dealers"),
        ),
        detractors=DetractorRules(
            nps_max=_int(detractors, "nps_max", 0, 10), csat_max=_int(detractors, "csat_max", 1, 5)
        ),
        followups=_followup_rules(followups),
        kpis=KpiRules(
            repeat_window=timedelta(days=_positive(kpis, "repeat_window_days")),
            min_repairs=_int(kpis, "min_repairs", 0, 1_000_000),
            stalled_window=timedelta(days=_positive(kpis, "stalled_window_days")),
            stalled_min_cases=_int(kpis, "stalled_min_cases", 1, 1_000_000),
            stalled_share=_share(kpis, "stalled_share"),
        ),
    )


def _followup_rules(table: Mapping[str, Any]) -> FollowUpRules:
    offsets = table.get("offsets_days")
    if not isinstance(offsets, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in offsets
    ):
        raise RulesError(
            "followups.offsets_days must be a list of positive whole days, e.g. [7, 30]"
        )
    start, end = _clock(table, "business_start"), _clock(table, "business_end")
    if start >= end:
        raise RulesError("followups.business_start must be earlier than followups.business_end")
    days = _strings(table, "business_days")
    unknown = [d for d in days if d.lower() not in WEEKDAYS]
    if unknown or not days:
        raise RulesError(f"followups.business_days must name days among {WEEKDAYS}; got {days}")
    return FollowUpRules(
        offsets=tuple(timedelta(days=d) for d in sorted(set(offsets))),
        reason=_string(table, "reason"),
        business_start=start,
        business_end=end,
        business_days=frozenset(WEEKDAYS.index(d.lower()) for d in days),
        cap=_int(table, "cap", 1, 100),
        cap_window=timedelta(days=_positive(table, "cap_window_days")),
    )


def _closing_rules(table: Mapping[str, Any]) -> ClosingRules:
    reasons = {}
    for reason in CASE_REASONS:
        rule = _table(table, reason, "closing.")
        confirmed_by = _strings(rule, "confirmed_by")
        unknown = [c for c in confirmed_by if c not in CONFIRMATIONS]
        if unknown:
            raise RulesError(
                f"closing.{reason}.confirmed_by must name confirmations among {CONFIRMATIONS}; "
                f"got {unknown}"
            )
        confirms_unresolved = rule.get("confirms_unresolved")
        if not isinstance(confirms_unresolved, bool):
            raise RulesError(f"closing.{reason}.confirms_unresolved must be true or false")
        reasons[reason] = ReasonClosing(
            frozenset(c for c in CONFIRMATIONS if c in confirmed_by), confirms_unresolved
        )
    return ClosingRules(
        unconfirmed_after=timedelta(days=_positive(table, "unconfirmed_after_days")),
        confirming_call_outcomes=frozenset(_strings(table, "confirming_call_outcomes")),
        reasons=MappingProxyType(reasons),
    )


def _table(raw: Mapping[str, Any], key: str, prefix: str = "") -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise RulesError(f"the rules need a [{prefix}{key}] table")
    return value


def _int(table: Mapping[str, Any], key: str, low: int, high: int, prefix: str = "") -> int:
    value = table.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise RulesError(
            f"rule {prefix}{key} must be a whole number from {low} to {high}; got {value!r}"
        )
    return value


def _share(table: Mapping[str, Any], key: str) -> float:
    value = table.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 1:
        raise RulesError(f"rule kpis.{key} must be a share above 0 and at most 1; got {value!r}")
    return float(value)


def _positive(table: Mapping[str, Any], key: str, prefix: str = "") -> int:
    return _int(table, key, 1, 100_000, prefix)


def _string(table: Mapping[str, Any], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RulesError(f"rule {key!r} must be a non-empty string; got {value!r}")
    return value.strip()


def _strings(table: Mapping[str, Any], key: str) -> list[str]:
    value = table.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise RulesError(f"rule {key!r} must be a list of non-empty strings; got {value!r}")
    return [v.strip() for v in value]


def _keywords(table: Mapping[str, Any], key: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k.lower() for k in _strings(table, key)))


def _severity(table: Mapping[str, Any], key: str) -> Severity:
    return _severity_value(table.get(key), f"severity.{key}")


def _severity_value(value: object, where: str) -> Severity:
    if value not in SEVERITIES:
        raise RulesError(f"rule {where} must be one of {SEVERITIES}; got {value!r}")
    return value


def _team(value: object, where: str) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(o, str) and 0 < len(o.strip()) <= MAX_OWNER_LENGTH for o in value)
    ):
        raise RulesError(f"{where} must be a non-empty list of owner ids (1-64 characters)")
    return tuple(o.strip() for o in value)


def _teams(table: Mapping[str, Any], key: str) -> Mapping[str, tuple[str, ...]]:
    teams = table.get(key, {})
    if not isinstance(teams, Mapping):
        raise RulesError(f"assignment.{key} must be a table of id = [owners]")
    return MappingProxyType(
        {name: _team(team, f"assignment.{key}.{name}") for name, team in teams.items()}
    )


def _clock(table: Mapping[str, Any], key: str) -> time:
    value = _string(table, key)
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise RulesError(f"rule followups.{key} must be a time like 09:00; got {value!r}") from exc
