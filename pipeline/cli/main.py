"""The `aftersales` command line: the composition root for every entrypoint."""

from __future__ import annotations

import signal
import sys
import time
from importlib.metadata import version as package_version
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli import views
from pipeline.cli.customers import customers_app
from pipeline.cli.deadletters import deadletter_app
from pipeline.cli.files import expand_paths
from pipeline.cli.loop import actions, triage
from pipeline.cli.sources import import_app, simulate
from pipeline.cli.support import ExitCode, command_settings, reading_engine
from pipeline.common.config import SettingsError
from pipeline.common.errors import PipelineError
from pipeline.common.output import Format, emit
from pipeline.common.unavailable import Unavailable

app = typer.Typer(
    name="aftersales",
    help="After-sales feedback pipeline: archive tickets, repairs and feedback from every market, "
    "track complaints to the end and flag recurring product defects early.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    epilog="Exit codes: 0 done; 1 bad input or nothing found; 2 wrong usage or invalid settings; "
    "3 broker or warehouse unavailable (or its schema not created: `aftersales db upgrade`).",
)
db_app = typer.Typer(help="Warehouse schema: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(deadletter_app, name="deadletter")
app.add_typer(customers_app, name="customers")
app.command()(simulate)
app.add_typer(views.flags_app, name="flags")
views.flags_app.command("triage")(triage)
for view in (views.cases, views.kpis, views.history, views.report, actions):
    app.command()(view)
err = Console(stderr=True)

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]


def _version(value: bool) -> None:
    if value:
        print(f"aftersales {package_version('aftersales')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """After-sales feedback pipeline: archive tickets, repairs and feedback from every market,
    track complaints to the end and flag recurring product defects early."""


@app.command()
def broker(
    kind: Annotated[str, typer.Option(help="Which embedded broker: tansu or noida.")] = "tansu",
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: a free one).")] = 0,
) -> None:
    """Run an embedded Kafka-protocol broker in the foreground and print its bootstrap address."""
    from pipeline.harness.broker import BROKER_KINDS, EmbeddedBroker

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

    run(command_settings())


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the warehouse schema (AFTERSALES_WAREHOUSE_URL)."""
    from pipeline.warehouse.engine import make_engine
    from pipeline.warehouse.migrate import current_revision, upgrade

    engine = make_engine(command_settings().warehouse_url)
    upgrade(engine, revision)
    err.print(f"warehouse schema at {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Print the warehouse's schema revision and the one this version needs."""
    from pipeline.warehouse.engine import make_engine
    from pipeline.warehouse.migrate import current_revision, head_revision

    engine = make_engine(command_settings().warehouse_url)
    print(f"current: {current_revision(engine)}  needed: {head_revision()}")


@app.command()
def stats(fmt: FormatOpt = Format.table) -> None:
    """Row counts per warehouse table."""
    from pipeline.warehouse.read.counts import table_counts

    counts = table_counts(reading_engine(command_settings(), err))
    if fmt is Format.json:
        emit(counts, fmt)
    else:
        emit([{"table": k, "rows": v} for k, v in counts.items()], fmt, title="Warehouse rows")


@app.command()
def produce(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Event files (a JSON object, a JSON array or JSON Lines; globs allowed), "
            "or - for standard input."
        ),
    ],
    topic: Annotated[
        str | None, typer.Option(help="Topic to send to (default: each event's own topic).")
    ] = None,
    allow_rejects: Annotated[
        bool, typer.Option(help="Exit 0 even when some events were rejected.")
    ] = False,
) -> None:
    """Validate events and publish the valid ones; report rejected ones by file and line."""
    from producers.commands import produce_files

    rejected = produce_files(command_settings(), expand_paths(files), topic, err)
    if rejected and not allow_rejects:
        raise typer.Exit(ExitCode.FAILED)


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="Simulated days of after-sales history.")] = 365,
    rate: Annotated[float, typer.Option(help="Mean new tickets per simulated day.")] = 40.0,
    seed: Annotated[int, typer.Option(help="Simulation seed.")] = 7,
) -> None:
    """Start everything on embedded defaults, stream a simulated world through it, summarise."""
    from pipeline.cli.demo import run_demo

    run_demo(command_settings(), days=days, rate=rate, seed=seed, console=err)


def exit_code(exc: PipelineError) -> ExitCode:
    """The documented exit code for an error a command raised on purpose."""
    if isinstance(exc, SettingsError):
        return ExitCode.USAGE
    if isinstance(exc, Unavailable):
        return ExitCode.UNAVAILABLE
    return ExitCode.FAILED


def main() -> None:
    try:
        app()
    except PipelineError as exc:
        err.print(f"[red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exit_code(exc))
