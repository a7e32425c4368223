"""`aftersales demo`: embedded broker, warehouse and worker, a simulated world, a summary."""

from __future__ import annotations

import contextlib
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import Engine

from pipeline.casebook.kpis import worst_dealers
from pipeline.common.config import Settings
from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.worker_process import WorkerProcess, wait_until
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.read.counts import table_counts

if TYPE_CHECKING:
    from pipeline.casebook.kpis import KpiRow
    from pipeline.reports.model import CaseBookSection
    from producers.simulator import SimulationConfig

PROCESS_TIMEOUT_S = 600


@contextlib.contextmanager
def _kafka(settings: Settings, console: Console) -> Iterator[tuple[str, dict[str, float]]]:
    if settings.kafka_bootstrap:
        yield settings.kafka_bootstrap, {}
        return
    console.print(f"starting the embedded [bold]{settings.embedded_broker}[/] broker …")
    with EmbeddedBroker(settings.embedded_broker) as broker:
        console.print(f"  broker ready on {broker.bootstrap}")
        yield broker.bootstrap, broker.client_settings


def _warehouse_url(settings: Settings, demo_dir: Path) -> str:
    if "warehouse_url" in settings.model_fields_set:
        return settings.warehouse_url
    shutil.rmtree(demo_dir, ignore_errors=True)
    demo_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{demo_dir / 'warehouse.db'}"


def run_demo(settings: Settings, *, days: int, rate: float, seed: int, console: Console) -> None:
    from producers.commands import publish_events
    from producers.simulator import SimulationConfig, simulate, write_ground_truth

    started = time.monotonic()
    demo_dir = settings.var_dir / "demo"
    url = _warehouse_url(settings, demo_dir)
    engine = make_engine(url)
    upgrade(engine)
    console.print(f"warehouse: {engine.url.render_as_string(hide_password=True)}")
    with _kafka(settings, console) as (bootstrap, timings):
        values = {**settings.model_dump(exclude_none=True), **timings}
        values.update(kafka_bootstrap=bootstrap, warehouse_url=url)
        run = settings.model_copy(update=values)
        from pipeline.harness.topics_admin import ensure_topics

        ensure_topics(run)
        config = SimulationConfig(seed=seed, days=days, rate=rate)
        write_ground_truth(config, demo_dir / "ground_truth.json")
        worker_values = {k: v for k, v in values.items() if k in Settings.model_fields}
        with WorkerProcess(worker_values, log_path=demo_dir / "worker.log") as worker:
            console.print(
                f"worker started (log: {demo_dir / 'worker.log'}, metrics: {worker.metrics_url})"
            )
            by_type = publish_events(
                run, simulate(config), console, description=f"publishing {days} simulated days"
            )
            total = sum(by_type.values())
            _wait_processed(engine, total, worker, console)
            wait_until(
                lambda: _settled(table_counts(engine)),
                timeout_s=120,
                check=worker.check,
                what="detection evaluated and outbox drained",
            )
        console.print("worker stopped")
    _summary(engine, by_type, console)
    console.print(f"[bold]detector vs ground truth:[/] {_truth_line(engine, config)}")
    report = _insights(run, engine, demo_dir, console)
    console.print(f"[green]demo finished in {time.monotonic() - started:.0f}s[/]")
    # Last, so that it is what the terminal shows: the page to open next (it needs no network).
    console.print(f"[bold]product-improvement report:[/] {report.resolve()}", soft_wrap=True)


def _truth_line(engine: Engine, config: SimulationConfig) -> str:
    """'injected N defects, flagged M, median delay D days' against the simulator's truth."""
    from sqlalchemy import select

    from pipeline.detection import Signature
    from pipeline.detection.truth_match import Injected, match_truth
    from pipeline.warehouse.tables import DefectFlagRow
    from producers.simulator import ground_truth

    truth = ground_truth(config)
    defects = [
        Injected(Signature(d.brand, d.model, d.variant, d.component), d.onset, tuple(d.markets))
        for d in truth.defects
    ]
    columns = (DefectFlagRow.brand, DefectFlagRow.model, DefectFlagRow.variant,
               DefectFlagRow.component, DefectFlagRow.first_raised_at)  # fmt: skip
    with engine.connect() as connection:
        rows = connection.execute(select(*columns)).all()
    flags = [(Signature(b, m, v, c), opened.date()) for b, m, v, c, opened in rows]
    return match_truth(defects, flags).line


def _settled(counts: dict[str, int]) -> bool:
    return counts["outbox"] == 0 and counts["detection_pending"] == 0


def _processed(engine: Engine) -> int:
    counts = table_counts(engine)
    return counts["events"] + counts["dead_letters"]


def _wait_processed(engine: Engine, total: int, worker: WorkerProcess, console: Console) -> None:
    with Progress(console=console) as bar:
        task = bar.add_task("archiving", total=total)

        def done() -> bool:
            n = _processed(engine)
            bar.update(task, completed=n)
            return n >= total

        wait_until(
            done, timeout_s=PROCESS_TIMEOUT_S, poll_s=0.5, check=worker.check, what="archive"
        )


def _summary(engine: Engine, by_type: Counter[str], console: Console) -> None:
    published = Table(title="Events published, by type")
    published.add_column("event type")
    published.add_column("events", justify="right")
    for event_type, n in sorted(by_type.items()):
        published.add_row(event_type, f"{n:,}")
    published.add_row("[bold]total", f"[bold]{sum(by_type.values()):,}")
    console.print(published)
    rows = Table(title="Warehouse rows")
    rows.add_column("table")
    rows.add_column("rows", justify="right")
    for name, n in table_counts(engine).items():
        if n:
            rows.add_row(name, f"{n:,}")
    console.print(rows)


def _insights(settings: Settings, engine: Engine, demo_dir: Path, console: Console) -> Path:
    """Open flags and the worst dealers; the product-improvement report's path."""
    from pipeline.cli.views import write_product_report
    from pipeline.reports.dealers import dealer_kpis
    from pipeline.reports.scope import Scope
    from pipeline.reports.voice import case_book
    from pipeline.warehouse.engine import session_factory
    from pipeline.warehouse.read.case_book import case_book_lines
    from pipeline.warehouse.read.cases import stalled_dealers
    from pipeline.warehouse.read.dealers import dealer_facts
    from pipeline.warehouse.read.flags import flags as stored_flags
    from pipeline.warehouse.watermark import read_watermark

    with session_factory(engine)() as session:
        flags = stored_flags(session, "open")
        now = read_watermark(session)
        scope = Scope(None, None, None, now) if now else None
        lines = dealer_kpis(dealer_facts(session, scope), scope.now) if scope else []
        book = case_book(case_book_lines(session, scope), scope.now) if scope else None
        stalled = stalled_dealers(session, now) if now else []
    table = Table(title=f"Open defect flags ({len(flags)}), highest score first")
    for col in ("product", "component", "severity", "score", "method", "first raised (event time)"):
        table.add_column(col)
    for f in flags[:8]:
        product = f"{f['brand']} {f['model']} {f['variant']}"
        table.add_row(
            product,
            f["component"],
            f["severity"],
            f"{f['score']:.1f}",
            f["method"],
            f"{f['first_raised_at']:%Y-%m-%d}",
        )
    console.print(table)
    dealers = worst_dealers([line for line in lines if line.by == "dealer"], 5)
    worst = Table(title="Worst dealers by repeat-repair rate (franchisees included)")
    for col in ("dealer", "repairs", "repeat-repair rate", "genuine parts", "CSAT", "NPS"):
        worst.add_column(col)
    for line in dealers:
        worst.add_row(
            line.label,
            str(line.repairs),
            _pct(line.repeat_repair_rate),
            _pct(line.genuine_parts_ratio),
            _num(line.csat_mean),
            _num(line.nps),
        )
    console.print(worst)
    ownership = {line.key: line for line in lines if line.by == "ownership"}
    for kind, line in sorted(ownership.items()):
        if line.repeat_repair_rate is None:
            continue
        rate, genuine = _pct(line.repeat_repair_rate), _pct(line.genuine_parts_ratio)
        console.print(f"  {kind:>10} dealers: repeat-repair rate {rate}, genuine parts {genuine}")
    if book is not None:
        _case_book(book, lines, stalled, console)
    return write_product_report(settings, demo_dir, "html")


def _case_book(
    book: CaseBookSection, lines: list[KpiRow], stalled: list[str], console: Console
) -> None:
    """How the case book closed: confirmed share, days to a confirmed fix, where cases stick."""
    console.print(
        f"[bold]case book:[/] {book.total:,} cases, {_pct(book.confirmed_share)} confirmed closed "
        f"(median {_num(book.median_days_to_confirmed)} days), {book.unconfirmed:,} closed "
        f"unconfirmed, {book.overdue:,} past SLA, {book.owner_fallbacks:,} with the default desk"
    )
    for line in sorted((x for x in lines if x.by == "ownership" and x.cases), key=lambda x: x.key):
        console.print(
            f"  {line.key:>10} dealers: {_pct(line.confirmed_share)} of {line.cases:,} cases "
            f"confirmed closed, median {_num(line.median_days_to_confirmed_fix)} days to a "
            f"confirmed fix, {line.overdue_cases:,} past SLA"
        )
    overdue = sorted(
        (x for x in lines if x.by == "dealer" and x.overdue_cases),
        key=lambda x: (-x.overdue_cases, x.key),
    )
    table = Table(title="Overdue cases by dealer (most first)")
    for col in ("dealer", "cases", "past SLA", "confirmed closed", "closed unconfirmed"):
        table.add_column(col)
    for line in overdue[:8]:
        table.add_row(
            line.label,
            f"{line.cases:,}",
            f"{line.overdue_cases:,}",
            _pct(line.confirmed_share),
            f"{line.unconfirmed_cases:,}",
        )
    console.print(table)
    if stalled:
        console.print(
            f"[red]overdue-case alert firing:[/] dealers whose desks stopped acting: "
            f"{', '.join(stalled)}"
        )
    else:
        console.print("overdue-case alert quiet: no dealer's desk has stopped acting")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
