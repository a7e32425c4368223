"""CLI commands that publish from files and the simulator: `import nhtsa|csv` and `simulate`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pipeline.cli.files import expand_paths
from pipeline.cli.support import command_settings
from pipeline.common.clock import wall_clock
from pipeline.common.output import to_json

import_app = typer.Typer(help="Import real after-sales data files as events.", no_args_is_help=True)
err = Console(stderr=True)


def _print_report(summary: Mapping[str, object]) -> None:
    err.print(to_json(summary))


@import_app.command("nhtsa")
def import_nhtsa(
    complaints: Annotated[
        Path, typer.Argument(help="NHTSA FLAT_CMPL file (tab-separated, no header).")
    ],
    recalls: Annotated[Path | None, typer.Option(help="NHTSA FLAT_RCL file of recalls.")] = None,
) -> None:
    """Publish NHTSA complaints (and recalls) as events; skipped rows are counted by reason."""
    from producers.commands import publish_events, tally
    from producers.sources.nhtsa import read_complaints, read_recalls
    from producers.sources.report import SkipReport

    settings = command_settings()
    today = wall_clock().date()
    if recalls is not None:
        recall_report = SkipReport()
        publish_events(
            settings,
            tally(
                read_recalls(recalls, today=today, on_recoded=recall_report.note_recoded),
                recall_report,
            ),
            err,
            description="recalls",
        )
        _print_report({"recalls": recall_report.summary()})
    report = SkipReport()
    publish_events(
        settings,
        tally(read_complaints(complaints, today=today, on_recoded=report.note_recoded), report),
        err,
        description="complaints",
    )
    _print_report({"complaints": report.summary()})


@import_app.command("csv")
def import_csv(
    files: Annotated[list[str], typer.Argument(help="CSV files of complaints (globs allowed).")],
    mapping: Annotated[
        str, typer.Option(help="Shipped mapping name (e.g. cn_car_complaints) or a TOML file path.")
    ] = "cn_car_complaints",
) -> None:
    """Publish CSV exports of complaints, columns mapped by a small TOML file."""
    from producers.commands import publish_events, tally
    from producers.sources.mapped_csv import load_mapping, mapping_path, read_mapped_csv
    from producers.sources.report import SkipReport

    paths = [Path(p) for p in expand_paths(files)]
    table = load_mapping(Path(mapping) if mapping.endswith(".toml") else mapping_path(mapping))
    settings = command_settings()
    today = wall_clock().date()
    summaries: dict[str, object] = {}
    for path in paths:
        report = SkipReport()
        items = read_mapped_csv(path, table, today=today, on_recoded=report.note_recoded)
        publish_events(settings, tally(items, report), err, description=path.name)
        summaries[str(path)] = report.summary()
    _print_report(summaries if len(paths) > 1 else report.summary())


def simulate(
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same world, same events.")] = 7,
    days: Annotated[int, typer.Option(help="Simulated days.")] = 365,
    rate: Annotated[float, typer.Option(help="Mean new service tickets per simulated day.")] = 40.0,
    start: Annotated[str, typer.Option(help="First simulated day (YYYY-MM-DD).")] = "2024-01-01",
    defects: Annotated[int | None, typer.Option(help="Injected recurring defects.")] = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="Write the injected defects (ground truth) to this JSON file."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write JSON Lines here instead of publishing to Kafka.")
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option(help="Simulate only this product model (repeatable; default: all)."),
    ] = None,
    fixes: Annotated[
        bool, typer.Option(help="Release corrective actions against the injected defects.")
    ] = False,
) -> None:
    """Simulate an international after-sales world with injected recurring defects."""
    from producers.commands import publish_events
    from producers.simulator import SimulationConfig, write_ground_truth
    from producers.simulator import simulate as run
    from schemas.codec import encode

    config = SimulationConfig(
        seed=seed,
        days=days,
        rate=rate,
        start=date.fromisoformat(start),
        defects=defects,
        models=frozenset(model or ()),
        fixes=fixes,
    )
    if truth is not None:
        write_ground_truth(config, truth)
        err.print(f"ground truth written to {truth}")
    if out is not None:
        with out.open("wb") as fh:
            n = 0
            for event in run(config):
                fh.write(encode(event) + b"\n")
                n += 1
        err.print(f"wrote {n:,} events to {out}")
        return
    counts = publish_events(command_settings(), run(config), err, description="simulating")
    err.print(to_json(dict(sorted(counts.items()))))
