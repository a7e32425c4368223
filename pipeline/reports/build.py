"""Build the product-improvement report from the warehouse: queries in, a pure ReportData out."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.common.errors import PipelineError
from pipeline.enrichment import load_taxonomy
from pipeline.loop_read import read_corrective_actions
from pipeline.reports.dealers import dealer_kpis
from pipeline.reports.flags import MAX_FLAGS, flag_sections
from pipeline.reports.model import KpiLine, ReportData
from pipeline.reports.quality import MAX_PARETO_MODELS, MAX_RATES, pareto, repeat_repairs
from pipeline.reports.scope import Scope
from pipeline.reports.voice import case_book, customer_voice


class ReportError(PipelineError):
    """The report cannot be built as asked."""


def build_report(
    engine: Engine,
    *,
    since: date | None,
    brand: str | None,
    model: str | None,
    now: datetime,
    progress: Callable[[str], None] | None = None,
    complete: bool = False,
) -> ReportData:
    """Everything a product team needs from the warehouse, as of ``now`` (event time).

    ``since`` limits the period (events from that UTC day on); open flags and open cases are
    always included, whenever they started. Read-only: one connection, one snapshot-ish pass.
    ``progress`` hears the name of each step as it starts. Rankings hold their top entries
    (25 flags, 6 models, 25 parts and suppliers) beside their true totals; ``complete`` keeps
    every entry, for the JSON report that other tools read.
    """
    if now.tzinfo is None:
        raise ReportError("`now` must be timezone-aware, e.g. datetime.now(UTC)")
    if model is not None and brand is None:
        raise ReportError("a model filter needs its brand: pass --brand as well")
    scope = Scope(since=since, brand=brand, model=model, now=now)
    step = progress or _quiet
    with Session(engine) as session:
        step("defect flags")
        taxonomy = load_taxonomy()
        flags, flag_totals = flag_sections(
            session, scope, taxonomy, None if complete else MAX_FLAGS
        )
        step("failure Pareto")
        models, pareto_totals = pareto(
            session, scope, taxonomy, None if complete else MAX_PARETO_MODELS
        )
        step("repeat repairs")
        repeats = repeat_repairs(session, scope, None if complete else MAX_RATES)
        step("case book and customer voice")
        book, voice = case_book(session, scope), customer_voice(session, scope, taxonomy)
        step("corrective actions")
        loop = read_corrective_actions(session)
        step("dealer KPIs")
        kpis = [
            KpiLine.model_validate(k, from_attributes=True) for k in dealer_kpis(session, scope)
        ]
        return ReportData(
            report_id=report_id(now, brand, model),
            generated_at=now,
            period_start=since,
            brand=brand,
            model=model,
            flags=flags,
            pareto=models,
            repeat_repairs=repeats,
            case_book=book,
            voice=voice,
            kpis=kpis,
            flag_totals=flag_totals,
            pareto_totals=pareto_totals,
            corrective_actions=loop,
        )


def _quiet(step: str) -> None:
    """No progress wanted."""


def report_id(now: datetime, brand: str | None, model: str | None) -> str:
    """A file-name-safe id: ``report-20240301T090000Z`` or ``report-acme-cool-3000-…``."""
    subject = "-".join(_slug(part) for part in (brand, model) if part)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return "-".join(part for part in ("report", subject, stamp) if part)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
