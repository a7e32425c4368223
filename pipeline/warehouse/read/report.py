"""Everything the product-improvement report shows, read from the warehouse in one pass."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.reports.flags import MAX_FLAGS
from pipeline.reports.readings import ReportReadings
from pipeline.reports.scope import Scope
from pipeline.warehouse.read.answers import scored_answers
from pipeline.warehouse.read.case_book import case_book_lines
from pipeline.warehouse.read.dealers import dealer_facts
from pipeline.warehouse.read.flags import report_flags
from pipeline.warehouse.read.loop import read_corrective_actions
from pipeline.warehouse.read.quality import failure_counts, repairs_with_parts
from pipeline.warehouse.read.voice import complaint_themes


def read_report(
    engine: Engine,
    scope: Scope,
    *,
    complete: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ReportReadings:
    """What the report covers in ``scope``, as of ``scope.now`` (event time).

    Open flags and open cases are always included, whenever they started. Read-only: one
    connection, one snapshot-ish pass. ``progress`` hears the name of each step as it starts.
    Flags are the top 25 beside their true totals; ``complete`` reads every one, for the JSON
    report that other tools read.
    """
    step = progress or _quiet
    with Session(engine) as session:
        step("defect flags")
        flags, flag_totals = report_flags(session, scope, None if complete else MAX_FLAGS)
        step("failure Pareto")
        failures = failure_counts(session, scope)
        step("repeat repairs")
        fitted = repairs_with_parts(session, scope)
        step("case book and customer voice")
        cases = case_book_lines(session, scope)
        answers = scored_answers(
            session, since=scope.since_at, brand=scope.brand, model=scope.model
        )
        themes = complaint_themes(session, scope)
        step("corrective actions")
        loop = read_corrective_actions(session)
        step("dealer KPIs")
        dealers = dealer_facts(session, scope)
    return ReportReadings(
        scope=scope,
        complete=complete,
        flags=flags,
        flag_totals=flag_totals,
        failures=failures,
        repairs_with_parts=fitted,
        cases=cases,
        answers=answers,
        themes=themes,
        corrective_actions=loop,
        dealers=dealers,
    )


def _quiet(step: str) -> None:
    """No progress wanted."""
