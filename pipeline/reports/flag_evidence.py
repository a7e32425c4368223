"""Pure parts of a flag's detail: its method and score in words, weekly counts, verbatims."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from pipeline.detection.dedupe import Filed, copies_of, fingerprint
from pipeline.reports.scrub import scrub_personal_data
from schemas.flag_detail import Verbatim, WeekCount

METHODS: Final = {
    "complaint_signal": "Complaint counts without an installed base: raised when the window's "
    "complaints reach a volume threshold (safety reports weigh more), when the component takes a "
    "larger share of the product's complaints than it does across all products, or when the "
    "signature surges against its own past year.",
    "exposure_rate": "Claims against units in service: expected claims are the units in service "
    "times the claim rate of the same component on other models; raised by a Poisson test on "
    "the window or by a CUSUM that accumulates a lasting rise.",
}
_BASELINE: Final = re.compile(r"baseline_(\d+)_in_(\d+)d")


def explain_method(method: str) -> str:
    """What the detector behind ``method`` looks at, in a sentence or two."""
    if method in METHODS:
        return METHODS[method]
    baseline = _BASELINE.fullmatch(method)
    if baseline:
        k, days = baseline.groups()
        return f"Reference rule: raised when {k} complaints or repairs arrive within {days} days."
    return f"Raised by the {method} detector."


def explain_score(score: float, evidence: Mapping[str, Any]) -> str:
    """The score and the detector's numbers behind it, in plain words."""
    parts = [
        f"Score {score:.2f}: the strongest of the detector's tests as a multiple of its alarm "
        f"threshold (1 is just at it)."
    ]
    observed, expected = number(evidence.get("observed")), number(evidence.get("expected"))
    window, peak = whole(evidence.get("window_days")), evidence.get("peak_day")
    if observed is not None and expected is not None and window:
        when = f" up to {peak}" if isinstance(peak, str) else ""
        parts.append(
            f"At its peak, {observed:g} failures in {window} days{when} against "
            f"{expected:.1f} expected."
        )
    chance = number(evidence.get("chance"))
    if chance is not None and observed:
        parts.append(f"A count this high would come by chance with probability {chance:.2g}.")
    return " ".join(parts)


def weekly_counts(daily: Iterable[tuple[date, int]], start: date, end: date) -> list[WeekCount]:
    """Counts per week (Monday to Sunday) from ``start``'s week to ``end``'s, empty weeks too."""
    first = start - timedelta(days=start.weekday())
    weeks = [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    counts: dict[date, int] = dict.fromkeys(weeks, 0)
    for day, n in daily:
        week = day - timedelta(days=day.weekday())
        if week in counts:
            counts[week] += n
    return [WeekCount(week_start=week, observed=n) for week, n in counts.items()]


@dataclass(frozen=True, slots=True)
class Said:
    """A complaint as verbatims need it."""

    complaint_id: str
    product: tuple[str, str, str | None]
    at: datetime
    text: str
    language: str | None
    identifiers: tuple[str | None, ...]
    market: str | None


def distinct_verbatims(complaints: Sequence[Said]) -> list[Verbatim]:
    """One verbatim per distinct text, in the order first met, personal data removed.

    Reposts (near-duplicates on one product, as detection counts them) and texts that read the
    same once scrubbed are one verbatim: the earliest complaint's text and language, the day it
    was filed, and how many ``copies`` followed. Which verbatims there are, and what each says,
    does not depend on the order the complaints come in; only the order of the list does.
    """
    first: dict[str, Said] = {}
    for complaint in complaints:
        known = first.get(complaint.complaint_id)
        if known is None or _earliest(complaint) < _earliest(known):
            first[complaint.complaint_id] = complaint
    originals = copies_of(
        Filed(c.complaint_id, c.product, c.at.astimezone(UTC).date(), c.text)
        for c in first.values()
    )
    groups: dict[str, list[Said]] = defaultdict(list)
    for complaint in first.values():
        groups[originals.get(complaint.complaint_id, complaint.complaint_id)].append(complaint)
    merged: dict[str, list[tuple[Said, str]]] = {}
    for group in groups.values():
        lead = min(group, key=_earliest)
        text = scrub_personal_data(lead.text, identifiers=lead.identifiers, regions=(lead.market,))
        if fingerprint(text):
            merged.setdefault(fingerprint(text), []).extend((c, text) for c in group)
    verbatims = []
    for group_texts in merged.values():
        lead, text = min(group_texts, key=lambda pair: _earliest(pair[0]))
        verbatims.append(
            Verbatim(
                text=text,
                language=lead.language,
                filed_on=lead.at.astimezone(UTC).date(),
                copies=len(group_texts) - 1,
            )
        )
    return verbatims


def _earliest(complaint: Said) -> tuple[datetime, str, str]:
    return (complaint.at, complaint.complaint_id, complaint.text)


def number(value: object) -> float | None:
    """A finite number from stored evidence; None for anything else (text, NaN, booleans)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def whole(value: object) -> int | None:
    """A positive whole number from stored evidence (a window in days, say), else None."""
    found = number(value)
    return int(found) if found else None
