"""One defect flag as a self-contained JSON document: evidence, verbatims, where, recalls."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, cast

from pipeline.common.output import to_json
from pipeline.enrichment.taxonomy import Taxonomy
from pipeline.reports.flag_evidence import (
    distinct_verbatims,
    explain_method,
    explain_score,
    number,
    weekly_counts,
    whole,
)
from pipeline.reports.readings import FlagDetailReadings
from schemas.flag_detail import Component, Evidence, Flag, FlagDetail

MAX_VERBATIMS: Final = 10
_SAFE_NAME: Final = re.compile(r"[^A-Za-z0-9._-]")


def flag_detail(read: FlagDetailReadings, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """The flag as a JSON-ready dict (see ``schemas.flag_detail.FlagDetail``), as of when it
    was read. ``taxonomy`` names components the product registration does not."""
    return flag_document(read, taxonomy).model_dump(mode="json")


def flag_document(read: FlagDetailReadings, taxonomy: Taxonomy | None = None) -> FlagDetail:
    evidence = dict(read.flag.evidence)
    return FlagDetail(
        as_of=read.as_of,
        flag=_flag(read, evidence, taxonomy),
        evidence=_evidence(read, evidence),
        verbatims=distinct_verbatims(read.complaints)[:MAX_VERBATIMS],
        markets=read.markets,
        lots=read.lots,
        dealers=read.dealers,
        parts=read.parts,
        recalls=read.recalls,
    )


def write_flag_details(
    directory: Path, documents: Iterable[tuple[str, Mapping[str, Any]]]
) -> list[Path]:
    """``<directory>/<flag id>.json`` for each (flag id, document); their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for flag_id, document in documents:
        path = directory / f"{file_name(flag_id)}.json"
        path.write_text(to_json(document) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def file_name(flag_id: str) -> str:
    """The flag id as a file name: ids our detector makes (UUIDs) stay as they are."""
    return _SAFE_NAME.sub("_", flag_id).lstrip(".") or "_"


def _flag(read: FlagDetailReadings, evidence: Mapping[str, Any], taxonomy: Taxonomy | None) -> Flag:
    row = read.flag
    observed, expected = number(evidence.get("observed")), number(evidence.get("expected"))
    window = whole(evidence.get("window_days"))
    return Flag(
        flag_id=row.flag_id,
        signature="/".join((row.brand, row.model, row.variant, row.component)),
        brand=row.brand,
        model=row.model,
        variant=read.variant,
        product=" ".join(p for p in (row.brand, row.model, read.variant) if p),
        component=Component(code=row.component, name=component_name(read, taxonomy)),
        market=read.market,
        severity=cast(Any, row.severity),
        status="open" if row.status == "open" else "closed",
        first_seen=row.first_raised_at,
        closed_at=row.closed_at,
        method=row.method,
        method_explained=explain_method(row.method),
        observed=observed,
        expected=expected,
        window_days=window,
        score=row.score,
        score_explained=explain_score(row.score, evidence),
    )


def component_name(read: FlagDetailReadings, taxonomy: Taxonomy | None) -> str:
    """The product registration's name for the component, else the taxonomy's, else the code
    in words (``WATER_PUMP`` -> "Water pump")."""
    if read.registered_name:
        return read.registered_name
    code = read.flag.component
    named = taxonomy.components.get(taxonomy.canonical(code)) if taxonomy else None
    return named or code.replace("_", " ").replace(":", ", ").capitalize()


def _evidence(read: FlagDetailReadings, detector: dict[str, Any]) -> Evidence:
    start, end = _day(read.start), _day(read.end)
    weekly = weekly_counts(read.daily, start, end)
    return Evidence(
        period_start=start,
        period_end=end,
        weekly=weekly,
        total=sum(w.observed for w in weekly),
        detector=detector,
    )


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()
