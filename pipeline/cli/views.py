"""CLI commands that read the warehouse: flags (and their export), cases, kpis, history, report."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from pipeline.cli.support import NotFound, command_settings, limited, matching, reading_engine
from pipeline.common.clock import wall_clock
from pipeline.common.config import Settings
from pipeline.common.output import Format, emit, to_json
from pipeline.warehouse.engine import session_factory
from pipeline.warehouse.read import cases as stored_cases
from pipeline.warehouse.read import flags as stored_flags
from pipeline.warehouse.read.history import history as service_history
from pipeline.warehouse.watermark import read_watermark

err = Console(stderr=True)
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


class FlagStatus(StrEnum):
    open = "open"
    closed = "closed"
    all = "all"


class CaseStatus(StrEnum):
    """The ``cases --status`` choices (read.cases.CASE_FILTERS says what each shows)."""

    open = "open"
    overdue = "overdue"
    escalated = "escalated"
    resolved = "resolved"
    closed = "closed"
    unconfirmed = "unconfirmed"
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
    return session_factory(reading_engine(command_settings(), err))


flags_app = typer.Typer(
    help="Recurring-defect flags, highest score first; `flags export` writes one flag's detail "
    "as JSON for an issue tracker or another service.",
    invoke_without_command=True,
)


@flags_app.callback()
def flags(
    ctx: typer.Context,
    fmt: FormatOpt = Format.table,
    status: Annotated[FlagStatus, typer.Option(help="Which flags.")] = FlagStatus.open,
    brand: Annotated[str | None, typer.Option(help="Only this brand.")] = None,
    model: Annotated[str | None, typer.Option(help="Only this model.")] = None,
    component: Annotated[str | None, typer.Option(help="Only this component.")] = None,
    limit: LimitOpt = 50,
) -> None:
    """Recurring-defect flags, highest score first, with the product team's triage and actions
    (open: what still needs the team, a confirmed flag until its fix is verified)."""
    if ctx.invoked_subcommand is not None:
        return
    from pipeline.cli.loop import with_standing

    with _sessions()() as session:
        rows = with_standing(session, stored_flags.flags(session, "all"), status.value)
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


@flags_app.command("export")
def flags_export(
    flag_id: Annotated[
        str | None, typer.Argument(help="The flag's id (`aftersales flags -f json` shows it).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: standard output).")
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Export every flag, open or closed.")
    ] = False,
    directory: Annotated[
        Path | None, typer.Option("--dir", help="With --all: the folder for <flag id>.json files.")
    ] = None,
) -> None:
    """One flag as self-contained JSON: the flag in words, weekly evidence, scrubbed and
    de-duplicated verbatims, markets, lots, dealers, parts and matching recalls.

    The format is schemas/json/flag_detail.v1.json.
    """
    from pipeline.enrichment import load_taxonomy
    from pipeline.reports.flag_detail import flag_detail, write_flag_details
    from pipeline.warehouse.read.flag_detail import flag_ids, read_flag_detail

    if every == (flag_id is not None):
        raise typer.BadParameter("give a FLAG_ID or --all (with --dir), not both")
    if every and directory is None:
        raise typer.BadParameter("--all needs --dir, the folder to write the files into")
    with _sessions()() as session:
        now = read_watermark(session) or wall_clock()
        if every and directory is not None:
            taxonomy = load_taxonomy()
            documents = (
                (i, flag_detail(read_flag_detail(session, i, now=now), taxonomy))
                for i in flag_ids(session)
            )
            paths = write_flag_details(directory, documents)
            err.print(f"{len(paths)} flags written to {directory}", markup=False, highlight=False)
            return
        document = flag_detail(read_flag_detail(session, str(flag_id), now=now), load_taxonomy())
    if out is None:
        emit(document, Format.json)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_json(document) + "\n", encoding="utf-8")
    print(out)


def cases(
    fmt: FormatOpt = Format.table,
    status: Annotated[
        CaseStatus,
        typer.Option(
            help="Which cases: open (still in the book: open, escalated or resolved), overdue "
            "(open or escalated past the SLA), escalated, resolved (waiting for the customer), "
            "closed (confirmed by the customer), unconfirmed (closed when no confirmation came), "
            "all."
        ),
    ] = CaseStatus.open,
    owner: Annotated[str | None, typer.Option(help="Only cases of this owner.")] = None,
    dealer: Annotated[str | None, typer.Option(help="Only cases of this dealer.")] = None,
    market: Annotated[str | None, typer.Option(help="Only this market (country code).")] = None,
    severity: Annotated[str | None, typer.Option(help="Only this severity.")] = None,
    limit: LimitOpt = 50,
) -> None:
    """Complaint cases with owner, age and next action (in event time), most urgent first."""
    with _sessions()() as session:
        rows = stored_cases.cases(session, status.value)
    wanted = matching(rows, owner=owner, dealer_id=dealer, market=market, severity=severity)
    rows = limited(wanted, limit, err, "cases")
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
    "median_first_response_hours": "reply (h)",
    "median_resolution_hours": "resolve (h)",
    "followup_coverage": "called back %",
    "first_time_fix_rate": "first fix %",
    "repeat_repair_rate": "repeat %",
    "genuine_parts_ratio": "genuine %",
    "csat_mean": "CSAT",
    "nps": "NPS",
}
"""Table columns: median hours to first response (reply) and to resolution, share of services
followed up by a call that reached the customer (called back); JSON and CSV carry every KPI
(tickets, repairs, cases, overdue...)."""
KPI_PERCENT = (
    "followup_coverage",
    "first_time_fix_rate",
    "repeat_repair_rate",
    "genuine_parts_ratio",
    "confirmed_share",
)


def kpis(
    fmt: FormatOpt = Format.table,
    by: Annotated[KpiBy, typer.Option(help="Roll-up level (franchisees included).")] = KpiBy.dealer,
    limit: LimitOpt = 50,
) -> None:
    """Dealer after-sales KPIs, or their roll-up by country, group or ownership.

    Median hours to first response and to resolution, share of services followed up by a call
    that reached the customer, first-time fix and repeat-repair rates, genuine parts, CSAT and
    NPS. Rates show as percentages in the table; JSON and CSV carry every KPI (tickets, repairs,
    cases, overdue...), rates as fractions between 0 and 1.
    """
    from pipeline.reports.dealers import dealer_kpis
    from pipeline.reports.scope import Scope
    from pipeline.warehouse.read.dealers import dealer_facts

    with _sessions()() as session:
        now = read_watermark(session) or wall_clock()
        facts = dealer_facts(session, Scope(None, None, None, now))
    lines = [asdict(row) for row in dealer_kpis(facts, now) if row.by == by.value]
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
        rows = service_history(session, serial=serial, customer=customer)
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
        command_settings(),
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
    from pipeline.reports import (
        Extras,
        build_report,
        report_published,
        report_scope,
        write_report,
    )
    from pipeline.reports.flag_detail import flag_detail
    from pipeline.warehouse.read.flag_detail import read_flag_detail
    from pipeline.warehouse.read.report import read_report

    engine = reading_engine(settings, err)
    with session_factory(engine)() as session:
        now = read_watermark(session) or datetime.now(UTC)
    started = time.monotonic()

    def progress(step: str) -> None:
        err.print(
            f"report: {step} ({time.monotonic() - started:.1f} s)", markup=False, highlight=False
        )

    scope = report_scope(since=since, brand=brand, model=model, now=now)
    data = build_report(read_report(engine, scope, progress=progress, complete=fmt == "json"))
    with session_factory(engine)() as session:
        # Each listed flag also goes out as its own JSON document, linked from the report.
        extras = Extras(
            flag_detail=lambda flag_id: flag_detail(read_flag_detail(session, flag_id, now=now))
        )
        path = write_report(data, fmt, out, progress=progress, extras=extras)  # type: ignore[arg-type]
    progress(f"written, {path.stat().st_size / 1e6:.1f} MB")
    if publish:
        from producers.publisher import Publisher

        event = report_published(data, event_id=uuid.uuid4(), source="aftersales-cli")
        with Publisher(settings) as publisher:
            publisher.publish(event, topic=settings.topics.reports, key=event.report_id.encode())
            publisher.flush()
        err.print(f"summary published to {settings.topics.reports}", markup=False, highlight=False)
    return path
