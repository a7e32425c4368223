"""Build the product-improvement report from what the warehouse's read side returns."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from pipeline.common.errors import PipelineError
from pipeline.enrichment import load_taxonomy
from pipeline.reports.dealers import dealer_kpis
from pipeline.reports.flags import flag_sections
from pipeline.reports.model import KpiLine, ReportData
from pipeline.reports.quality import MAX_PARETO_MODELS, MAX_RATES, pareto, repeat_repairs
from pipeline.reports.readings import ReportReadings
from pipeline.reports.scope import Scope
from pipeline.reports.voice import case_book, customer_voice


class ReportError(PipelineError):
    """The report cannot be built as asked."""


def report_scope(
    *, since: date | None, brand: str | None, model: str | None, now: datetime
) -> Scope:
    """What a report covers: events from the ``since`` UTC day on (None: all), of ``brand`` and
    ``model`` (None: every one), as of ``now`` (event time)."""
    if now.tzinfo is None:
        raise ReportError("`now` must be timezone-aware, e.g. datetime.now(UTC)")
    if model is not None and brand is None:
        raise ReportError("a model filter needs its brand: pass --brand as well")
    return Scope(since=since, brand=brand, model=model, now=now)


def build_report(read: ReportReadings) -> ReportData:
    """Everything a product team needs, from what was read for the report.

    Rankings hold their top entries (25 flags, 6 models, 25 parts and suppliers) beside their
    true totals; a ``complete`` reading keeps every entry, for the JSON report.
    """
    scope = read.scope
    taxonomy = load_taxonomy()
    models, pareto_totals = pareto(
        read.failures, taxonomy, None if read.complete else MAX_PARETO_MODELS
    )
    return ReportData(
        report_id=report_id(scope.now, scope.brand, scope.model),
        generated_at=scope.now,
        period_start=scope.since,
        brand=scope.brand,
        model=scope.model,
        flags=flag_sections(read.flags, taxonomy),
        pareto=models,
        repeat_repairs=repeat_repairs(
            read.repairs_with_parts, None if read.complete else MAX_RATES
        ),
        case_book=case_book(read.cases, scope.now),
        voice=customer_voice(read.answers, read.themes, taxonomy),
        kpis=[
            KpiLine.model_validate(k, from_attributes=True)
            for k in dealer_kpis(read.dealers, scope.now)
        ],
        flag_totals=read.flag_totals,
        pareto_totals=pareto_totals,
        corrective_actions=read.corrective_actions,
    )


def report_id(now: datetime, brand: str | None, model: str | None) -> str:
    """A file-name-safe id: ``report-20240301T090000Z`` or ``report-acme-cool-3000-…``."""
    subject = "-".join(_slug(part) for part in (brand, model) if part)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return "-".join(part for part in ("report", subject, stamp) if part)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
