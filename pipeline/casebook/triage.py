"""Severity, owner and stable ids of a case: deterministic functions of the complaint alone."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from functools import lru_cache

from pipeline.casebook.rules import SEVERITIES, AssignmentRules, Severity, SeverityRules

_OUTPUT_NAMESPACE = uuid.UUID("5f1d3a52-2c55-4c39-9a0c-3b6c1f0e7a11")
"""Namespace of the uuid5 event ids of our outputs, so a replay publishes the same ids."""


def stable_hash(text: str) -> int:
    """A hash that is the same in every process (unlike hash(), which is salted per run)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def stable_id(prefix: str, *parts: str) -> str:
    """A short id derived from `parts`; fits the 64-character Identifier of the wire schemas."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{prefix}-{digest}"


def output_event_id(*parts: str) -> uuid.UUID:
    """The event_id of an output event, derived from what caused it."""
    return uuid.uuid5(_OUTPUT_NAMESPACE, "\x1f".join(parts))


def top_component(component: str | None) -> str | None:
    """The most general level of a hierarchical component code: ENGINE:COOLING:PUMP -> ENGINE."""
    return component.split(":", 1)[0] if component else None


def worst(*severities: Severity) -> Severity:
    """The most severe of the given severities."""
    return max(severities, key=SEVERITIES.index)


def complaint_severity(
    rules: SeverityRules,
    *,
    text: str | None,
    component: str | None,
    crash: bool = False,
    fire: bool = False,
    injuries: int = 0,
    deaths: int = 0,
) -> Severity:
    """Critical on any safety signal; otherwise the component's and the text's severity."""
    if crash or fire or injuries > 0 or deaths > 0 or _mentions(text, rules.critical_keywords):
        return "critical"
    found: list[Severity] = []
    top = top_component(component)
    if top is not None and top in rules.components:
        found.append(rules.components[top])
    if _mentions(text, rules.high_keywords):
        found.append("high")
    if found:
        return worst(*found)
    if _mentions(text, rules.low_keywords):
        return "low"
    return rules.default


def choose_owner(
    rules: AssignmentRules, *, case_key: str, market: str | None, dealer_id: str | None
) -> str:
    """The dealer's team, else the market's, else the default; one member by a stable hash."""
    return choose_owner_team(rules, case_key=case_key, market=market, dealer_id=dealer_id)[0]


def choose_owner_team(
    rules: AssignmentRules, *, case_key: str, market: str | None, dealer_id: str | None
) -> tuple[str, bool]:
    """choose_owner, and whether the owner came from the default desk (no team applied)."""
    team = (rules.dealers.get(dealer_id) if dealer_id else None) or (
        rules.markets.get(market) if market else None
    )
    chosen = team or rules.default_team
    return chosen[stable_hash(case_key) % len(chosen)], team is None


def _mentions(text: str | None, keywords: Iterable[str]) -> bool:
    if not text:
        return False
    pattern = _keyword_pattern(tuple(keywords))
    return pattern is not None and pattern.search(text) is not None


@lru_cache(maxsize=32)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    # Word-start matching: "fire" must not fire on "misfire", but "injur" should match "injuries".
    if not keywords:
        return None
    alternatives = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in keywords)
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)
