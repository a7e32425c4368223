"""CLI commands that read the warehouse: flags, cases, kpis, history and report."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from pipeline.clock import wall_clock
from pipeline.config import Settings, load_settings
from pipeline.output import Format, emit
from pipeline.warehouse import views
from pipeline.warehouse.engine import make_engine, session_factory
from pipeline.warehouse.watermark import read_watermark

err = Console(stderr=True)
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


class FlagStatus(StrEnum):
    open = "open"
    closed = "closed"
    all = "all"


class CaseStatus(StrEnum):
    open = "open"
    overdue = "overdue"
    all = "all"


class KpiBy(StrEnum):
    dealer = "dealer"
    country = "country"
    group = "group"
    ownership = "ownership"


class ReportFmt(StrEnum):
    html = "html"
    md = "md"
    json = "json"


def _sessions() -> sessionmaker[Session]:
    return session_factory(make_engine(load_settings().warehouse_url))


def flags(
    fmt: FormatOpt = Format.table,
    status: Annotated[FlagStatus, typer.Option(help="Which flags.")] = FlagStatus.open,
) -> None:
    """Recurring-defect flags, highest score first."""
    with _sessions()() as session:
        rows = views.flags(session, status.value)
    columns = [
        "brand",
        "model",
        "variant",
        "component",
        "status",
        "severity",
        "score",
        "method",
        "first_raised_at",
    ]
    emit(
        rows,
        fmt,
        title=f"Defect flags ({status.value})",
        columns=columns if fmt is Format.table else None,
    )


def cases(
    fmt: FormatOpt = Format.table,
    status: Annotated[CaseStatus, typer.Option(help="Which cases.")] = CaseStatus.open,
) -> None:
    """Complaint cases with owner, age and next action (in event time)."""
    with _sessions()() as session:
        rows = views.cases(session, status.value)
    columns = ["case_id", "status", "severity", "owner", "market", "age_days", "next_action"]
    emit(
        rows,
        fmt,
        title=f"Complaint cases ({status.value})",
        columns=columns if fmt is Format.table else None,
    )


def kpis(
    fmt: FormatOpt = Format.table,
    by: Annotated[KpiBy, typer.Option(help="Roll-up level (franchisees included).")] = KpiBy.dealer,
) -> None:
    """Dealer after-sales KPIs, or their roll-up by country, group or ownership."""
    from pipeline.reports.dealers import dealer_kpis
    from pipeline.reports.scope import Scope

    with _sessions()() as session:
        now = read_watermark(session) or wall_clock()
        lines = [
            line.model_dump()
            for line in dealer_kpis(session, Scope(None, None, None, now))
            if line.by == by.value
        ]
    columns = [
        "label",
        "repairs",
        "repeat_repair_rate",
        "first_time_fix_rate",
        "genuine_parts_ratio",
        "csat_mean",
        "nps",
        "open_cases",
        "overdue_cases",
    ]
    emit(
        lines,
        fmt,
        title=f"After-sales KPIs by {by.value}",
        columns=columns if fmt is Format.table else None,
    )


def history(
    fmt: FormatOpt = Format.table,
    serial: Annotated[str | None, typer.Option(help="A unit's serial number.")] = None,
    customer: Annotated[str | None, typer.Option(help="A customer id.")] = None,
) -> None:
    """One unit's or one customer's whole service story, in order."""
    if not serial and not customer:
        raise typer.BadParameter("give --serial or --customer")
    with _sessions()() as session:
        rows = views.history(session, serial=serial, customer=customer)
    emit(rows, fmt, title=f"Service history of {serial or customer}")


def report(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")] = Path(
        "reports"
    ),
    fmt: Annotated[
        ReportFmt, typer.Option("--format", "-f", help="Report format.")
    ] = ReportFmt.html,
    since: Annotated[
        str | None, typer.Option(help="Only data from this day on (YYYY-MM-DD).")
    ] = None,
    brand: Annotated[str | None, typer.Option(help="Only this brand.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model (needs --brand).")] = None,
    publish: Annotated[
        bool, typer.Option(help="Also publish the summary to the reports topic.")
    ] = False,
) -> None:
    """Write a product-improvement report (HTML, Markdown or JSON)."""
    path = write_product_report(
        load_settings(),
        out,
        fmt.value,
        since=date.fromisoformat(since) if since else None,
        brand=brand,
        model=model,
        publish=publish,
    )
    print(path)


def write_product_report(
    settings: Settings,
    out: Path,
    fmt: str,
    *,
    since: date | None = None,
    brand: str | None = None,
    model: str | None = None,
    publish: bool = False,
) -> Path:
    from pipeline.reports import build_report, report_published, write_report

    engine = make_engine(settings.warehouse_url)
    with session_factory(engine)() as session:
        now = read_watermark(session) or datetime.now(UTC)
    data = build_report(engine, since=since, brand=brand, model=model, now=now)
    path = write_report(data, fmt, out)  # type: ignore[arg-type]
    if publish:
        from producers.publisher import Publisher
        from schemas.codec import encode

        event = report_published(data, event_id=uuid.uuid4(), source="aftersales-cli")
        with Publisher(settings) as publisher:
            publisher.publish_raw(settings.topics.reports, event.report_id.encode(), encode(event))
            publisher.flush()
        err.print(f"summary published to {settings.topics.reports}", markup=False, highlight=False)
    return path
