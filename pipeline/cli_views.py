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

from pipeline.cli_support import NotFound, limited, matching, reading_engine
from pipeline.clock import wall_clock
from pipeline.config import Settings, load_settings
from pipeline.output import Format, emit
from pipeline.warehouse import views
from pipeline.warehouse.engine import session_factory
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


LimitOpt = Annotated[
    int, typer.Option("--limit", "-n", min=0, help="Show at most this many rows (0: all).")
]


def _sessions() -> sessionmaker[Session]:
    return session_factory(reading_engine(load_settings(), err))


def flags(
    fmt: FormatOpt = Format.table,
    status: Annotated[FlagStatus, typer.Option(help="Which flags.")] = FlagStatus.open,
    brand: Annotated[str | None, typer.Option(help="Only this brand.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    component: Annotated[str | None, typer.Option(help="Only this component.")] = None,
    limit: LimitOpt = 50,
) -> None:
    """Recurring-defect flags, highest score first, with the product team's triage and actions
    (open: what still needs the team, a confirmed flag until its fix is verified)."""
    from pipeline.cli_loop import with_standing

    with _sessions()() as session:
        rows = with_standing(session, views.flags(session, "all"), status.value)
    rows = limited(
        matching(rows, brand=brand, model=model, component=component), limit, err, "flags"
    )
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
        "state",
        "actions",
    ]
    emit(
        rows,
        fmt,
        title=f"Defect flags ({status.value})",
        columns=columns if fmt is Format.table else None,
        headers={"first_raised_at": "first raised", "state": "triage / fix"},
    )


def cases(
    fmt: FormatOpt = Format.table,
    status: Annotated[CaseStatus, typer.Option(help="Which cases.")] = CaseStatus.open,
    owner: Annotated[str | None, typer.Option(help="Only cases of this owner.")] = None,
    market: Annotated[str | None, typer.Option(help="Only this market (country code).")] = None,
    severity: Annotated[str | None, typer.Option(help="Only this severity.")] = None,
    limit: LimitOpt = 50,
) -> None:
    """Complaint cases with owner, age and next action (in event time), most urgent first."""
    with _sessions()() as session:
        rows = views.cases(session, status.value)
    rows = limited(
        matching(rows, owner=owner, market=market, severity=severity), limit, err, "cases"
    )
    columns = ["case_id", "status", "severity", "owner", "market", "age_days", "next_action"]
    emit(
        rows,
        fmt,
        title=f"Complaint cases ({status.value})",
        columns=columns if fmt is Format.table else None,
        headers={"case_id": "case", "age_days": "age (days)", "next_action": "next action"},
    )


KPI_HEADERS = {
    "label": "name",
    "repairs": "repairs",
    "repeat_repair_rate": "repeat %",
    "first_time_fix_rate": "first fix %",
    "genuine_parts_ratio": "genuine %",
    "csat_mean": "CSAT",
    "nps": "NPS",
    "open_cases": "open",
    "overdue_cases": "overdue",
}
KPI_PERCENT = ("repeat_repair_rate", "first_time_fix_rate", "genuine_parts_ratio")


def kpis(
    fmt: FormatOpt = Format.table,
    by: Annotated[KpiBy, typer.Option(help="Roll-up level (franchisees included).")] = KpiBy.dealer,
    limit: LimitOpt = 50,
) -> None:
    """Dealer after-sales KPIs, or their roll-up by country, group or ownership.

    Rates show as percentages in the table; JSON keeps them as fractions between 0 and 1.
    """
    from pipeline.reports.dealers import dealer_kpis
    from pipeline.reports.scope import Scope

    with _sessions()() as session:
        now = read_watermark(session) or wall_clock()
        lines = [
            line.model_dump()
            for line in dealer_kpis(session, Scope(None, None, None, now))
            if line.by == by.value
        ]
    lines = limited(lines, limit, err, f"{by.value} lines")
    emit(
        lines,
        fmt,
        title=f"After-sales KPIs by {by.value}",
        columns=list(KPI_HEADERS) if fmt is Format.table else None,
        headers=KPI_HEADERS,
        percent=KPI_PERCENT,
    )


def history(
    fmt: FormatOpt = Format.table,
    serial: Annotated[str | None, typer.Option(help="A unit's serial number.")] = None,
    customer: Annotated[str | None, typer.Option(help="A customer id.")] = None,
    limit: LimitOpt = 0,
) -> None:
    """One unit's or one customer's whole service story, in order."""
    if not serial and not customer:
        raise typer.BadParameter("give --serial or --customer")
    with _sessions()() as session:
        rows = views.history(session, serial=serial, customer=customer)
    if not rows:
        what = f"serial {serial}" if serial else f"customer {customer}"
        raise NotFound(f"Nothing in the warehouse for {what}: check the spelling.")
    emit(
        limited(rows, limit, err, "entries"), fmt, title=f"Service history of {serial or customer}"
    )


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

    engine = reading_engine(settings, err)
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
