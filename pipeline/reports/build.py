"""Build the product-improvement report from the warehouse: queries in, a pure ReportData out."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pipeline.errors import PipelineError
from pipeline.reports.dealers import dealer_kpis
from pipeline.reports.flags import flag_sections
from pipeline.reports.model import KpiLine, ReportData
from pipeline.reports.quality import pareto, repeat_repairs
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
) -> ReportData:
    """Everything a product team needs from the warehouse, as of ``now`` (event time).

    ``since`` limits the period (events from that UTC day on); open flags and open cases are
    always included, whenever they started. Read-only: one connection, one snapshot-ish pass.
    """
    if now.tzinfo is None:
        raise ReportError("`now` must be timezone-aware, e.g. datetime.now(UTC)")
    if model is not None and brand is None:
        raise ReportError("a model filter needs its brand: pass --brand as well")
    scope = Scope(since=since, brand=brand, model=model, now=now)
    with Session(engine) as session:
        return ReportData(
            report_id=report_id(now, brand, model),
            generated_at=now,
            period_start=since,
            brand=brand,
            model=model,
            flags=flag_sections(session, scope),
            pareto=pareto(session, scope),
            repeat_repairs=repeat_repairs(session, scope),
            case_book=case_book(session, scope),
            voice=customer_voice(session, scope),
            kpis=[
                KpiLine.model_validate(k, from_attributes=True) for k in dealer_kpis(session, scope)
            ],
        )


def report_id(now: datetime, brand: str | None, model: str | None) -> str:
    """A file-name-safe id: ``report-20240301T090000Z`` or ``report-acme-cool-3000-…``."""
    subject = "-".join(_slug(part) for part in (brand, model) if part)
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return "-".join(part for part in ("report", subject, stamp) if part)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
