"""Formatting, pivots and headline figures shared by the HTML and Markdown templates."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from pipeline.common.output import printable
from pipeline.reports.model import FlagSection, KpiLine, ReportData, VoicePoint
from pipeline.reports.words import variant_text

PIVOT_MONTHS: Final = 6
PIVOT_ROWS: Final = 15
DASH: Final = "–"
# Backslash escapes (valid before any ASCII punctuation in CommonMark) for inline markup, entities
# for what starts raw HTML or an entity. Parentheses, dots and hyphens stay: they are markup only
# after a bracket or at the start of a line, both handled.
MD_ESCAPES: Final = str.maketrans(
    {ch: "\\" + ch for ch in "\\`*_[]{}#|~$"} | {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
)
# What GitHub turns into a link without brackets: "https://…", "www.…"; the escaped ":" or "."
# keeps a web address in a complaint visible but not clickable.
MD_AUTOLINK: Final = re.compile(r"(?<=[A-Za-z])(?=://)|(?<=\bwww)(?=\.)", re.IGNORECASE)
# What opens a list item, a rule or a setext heading ("- x", "---", "===") or a numbered item
# ("1. x", "2) x") at the start of a line; "-5" or "1.5" open nothing and stay as they are.
MD_LINE_START: Final = re.compile(r"^(?:[-+=](?=[-+=\s]|$)|\d{1,9}(?=[.)](?:\s|$)))")


@dataclass(frozen=True, slots=True)
class Pivot:
    """Scores of the most-answered keys over the latest months, one row per key."""

    months: list[str]
    rows: list[tuple[str, int, list[VoicePoint | None]]]
    keys: int = 0
    """Keys in all; ``rows`` holds those with most answers."""


def pivot(
    points: Sequence[VoicePoint],
    *,
    labels: Mapping[str, str] | None = None,
    months: int = PIVOT_MONTHS,
    rows: int = PIVOT_ROWS,
) -> Pivot:
    latest = sorted({p.month for p in points})[-months:]
    volume: dict[str, int] = defaultdict(int)
    cells: dict[tuple[str, str], VoicePoint] = {}
    for p in points:
        volume[p.key] += p.responses
        cells[(p.key, p.month)] = p
    keys = sorted(volume, key=lambda k: (-volume[k], k))[:rows]
    return Pivot(
        months=latest,
        rows=[
            ((labels or {}).get(k, k), volume[k], [cells.get((k, m)) for m in latest]) for k in keys
        ],
        keys=len(volume),
    )


def pct(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{100 * value:.{digits}f} %"


def num(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value:,.{digits}f}"


def when(value: date | datetime | None) -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def signature(flag: FlagSection) -> str:
    variant = variant_text(flag.variant)
    return f"{flag.brand} {flag.model} · {variant} · {flag.component_name or flag.component}"


def cell(value: object, key: str = "", percent: Collection[str] = ()) -> str:
    """One value of a plain KPI row: fractions named in ``percent`` as percentages."""
    if value is None:
        return DASH
    if key in percent and isinstance(value, int | float):
        return pct(float(value))
    if isinstance(value, float):
        return num(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def rate_class(rate: float | None) -> str:
    if rate is None:
        return ""
    return "bad" if rate >= 0.25 else "warn" if rate >= 0.10 else "ok"


def nps_class(nps: float | None) -> str:
    if nps is None:
        return ""
    return "bad" if nps < 0 else "warn" if nps < 30 else "ok"


def overdue_dealers(lines: Sequence[KpiLine], limit: int = 10) -> list[KpiLine]:
    """Dealers with cases past their SLA, most overdue first: where the case book is stuck."""
    stuck = [d for d in lines if d.overdue_cases]
    return sorted(stuck, key=lambda d: (-d.overdue_cases, d.key))[:limit]


def headline(data: ReportData) -> dict[str, str]:
    """The figures on the report's first screen, formatted."""
    totals = data.flag_totals
    repeats = data.repeat_repairs
    repeat_rate = (
        repeats.repeated / repeats.repairs_with_parts if repeats.repairs_with_parts else None
    )
    return {
        "open_flags": f"{totals.open:,}",
        "serious_flags": f"{totals.open_serious:,}",
        "listed_open": str(sum(1 for f in data.flags if f.status == "open")),
        "listed_closed": str(sum(1 for f in data.flags if f.status != "open")),
        "open_cases": str(data.case_book.open),
        "overdue_cases": str(data.case_book.overdue),
        "median_days": num(data.case_book.median_days_to_confirmed),
        "repeat_rate": pct(repeat_rate),
        "nps": num(data.voice.nps, 0),
        "csat": num(data.voice.csat_mean, 2),
        "responses": str(data.voice.responses),
    }


def md_text(value: object) -> str:
    """``value`` as literal Markdown text on one line: in a table cell, a quote or a heading.

    Every character CommonMark, GitHub or common extensions read as markup is escaped: links and
    images, code, emphasis, strike-through, math, table pipes, raw HTML, entities, and a list,
    heading or rule marker at the start. Control characters are dropped, line breaks become spaces.
    """
    text = " ".join(printable(str(value), newlines=False).split())
    text = MD_AUTOLINK.sub(r"\\\g<0>", text.translate(MD_ESCAPES))
    # A bullet is escaped itself; a number is followed by its escaped "." or ")".
    return MD_LINE_START.sub(_escape_line_start, text, count=1)


def _escape_line_start(match: re.Match[str]) -> str:
    marker = match.group(0)
    return marker + "\\" if marker[0].isdigit() else "\\" + marker
