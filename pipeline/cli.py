"""The `aftersales` command line: the composition root for every entrypoint."""

from __future__ import annotations

import signal
import sys
import time
from typing import Annotated

import typer
from rich.console import Console

from pipeline import cli_views
from pipeline.cli_deadletters import deadletter_app
from pipeline.cli_sources import import_app, simulate
from pipeline.config import Settings, load_settings
from pipeline.errors import PipelineError
from pipeline.output import Format, emit

app = typer.Typer(
    name="aftersales",
    help="After-sales feedback pipeline: archive tickets, repairs and feedback from every market, "
    "track complaints to the end and flag recurring product defects early.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Warehouse schema: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(deadletter_app, name="deadletter")
app.command()(simulate)
for view in (cli_views.flags, cli_views.cases, cli_views.kpis, cli_views.history, cli_views.report):
    app.command()(view)
err = Console(stderr=True)

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def settings() -> Settings:
    return load_settings()


@app.command()
def broker(
    kind: Annotated[str, typer.Option(help="Which embedded broker: tansu or noida.")] = "tansu",
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 0,
) -> None:
    """Run an embedded Kafka-protocol broker in the foreground and print its bootstrap address."""
    from pipeline.broker import BROKER_KINDS, EmbeddedBroker

    if kind not in BROKER_KINDS:
        raise typer.BadParameter(f"kind must be one of {', '.join(BROKER_KINDS)}")
    with EmbeddedBroker(kind=kind, port=port) as b:
        print(b.bootstrap, flush=True)
        err.print(f"[green]{kind} broker ready[/] on {b.bootstrap}; Ctrl-C stops it.")
        err.print(f"  export AFTERSALES_KAFKA_BOOTSTRAP={b.bootstrap}")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            while b.process is not None and b.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


@app.command()
def worker() -> None:
    """Run a stream-processing worker (joins the consumer group; Ctrl-C stops it cleanly)."""
    from consumers.worker import run

    run(settings())


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the warehouse schema (AFTERSALES_WAREHOUSE_URL)."""
    from pipeline.warehouse.engine import make_engine
    from pipeline.warehouse.migrate import current_revision, upgrade

    engine = make_engine(settings().warehouse_url)
    upgrade(engine, revision)
    err.print(f"warehouse schema at {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the warehouse's schema revision and the one this version needs."""
    from pipeline.warehouse.engine import make_engine
    from pipeline.warehouse.migrate import current_revision, head_revision

    engine = make_engine(settings().warehouse_url)
    print(f"current: {current_revision(engine)}  needed: {head_revision()}")


@app.command()
def stats(fmt: FormatOpt = Format.table) -> None:
    """Row counts per warehouse table."""
    from pipeline.warehouse.engine import make_engine
    from pipeline.warehouse.queries import table_counts

    counts = table_counts(make_engine(settings().warehouse_url))
    if fmt is Format.json:
        emit(counts, fmt)
    else:
        emit([{"table": k, "rows": v} for k, v in counts.items()], fmt, title="Warehouse rows")


@app.command()
def produce(
    file: Annotated[str, typer.Argument(help="JSON Lines file, or - for standard input.")],
    topic: Annotated[
        str | None, typer.Option(help="Topic to send to (default: each event's own topic).")
    ] = None,
    allow_rejects: Annotated[
        bool, typer.Option(help="Exit 0 even when some lines were rejected.")
    ] = False,
) -> None:
    """Validate JSON Lines events and publish the valid ones; report rejected lines by number."""
    from producers.commands import produce_jsonl

    rejected = produce_jsonl(settings(), file, topic, err)
    if rejected and not allow_rejects:
        raise typer.Exit(1)


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Simulated days of after-sales history.")] = 365,
    rate: Annotated[float, typer.Option(help="Mean new tickets per simulated day.")] = 40.0,
    seed: Annotated[int, typer.Option(help="Simulation seed.")] = 7,
) -> None:
    """Start everything on embedded defaults, stream a simulated world through it, summarise."""
    from pipeline.demo import run_demo

    run_demo(settings(), days=days, rate=rate, seed=seed, console=err)


def main() -> None:
    try:
        app()
    except PipelineError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(2)
