"""The HTML report on about 6,000 real complaints: how long it takes to build and how big it is.

The Chinese complaint file (4,671 complaints) and one week of NHTSA complaints are archived by the
worker's batch processor and judged by its detector (what `aftersales import` feeds through Kafka,
without a broker), then the HTML and Markdown reports are built from the warehouse.

Run: .venv/bin/python -m bench.report_build [--data ../shared/data]
Writes bench/results/report.{json,md} and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from pipeline.bootstrap import build_detector, build_steps
from pipeline.common.config import Settings
from pipeline.common.records import Message
from pipeline.jobs.batch.processor import BatchProcessor
from pipeline.jobs.detector import DetectionRunner
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.watermark import read_watermark
from producers.sources.mapped_csv import load_mapping, mapping_path, read_mapped_csv
from producers.sources.nhtsa import read_complaints, read_recalls
from producers.sources.report import Skipped
from schemas.codec import encode
from schemas.events import FAMILY_OF_TYPE, InboundEvent
from schemas.keys import event_key
from schemas.topics import Topics

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DATA = REPO.parent / "shared" / "data"
CHINESE = "cn/cn_car_complaints_2024-01-29_to_2024-04-29.csv"
NHTSA_WEEK = "nhtsa/FLAT_CMPL_week_2024-02-19.txt"
TARGET_MB = 5.0
TARGET_SECONDS = 15.0
BATCH = 500


def real_events(
    chinese: Iterable[Path], nhtsa: Iterable[Path], recalls: Iterable[Path] = ()
) -> list[InboundEvent]:
    """Every usable row of the files, as their importers read them."""
    mapping = load_mapping(mapping_path("cn_car_complaints"))
    items: list[InboundEvent | Skipped] = [
        item for path in chinese for item in read_mapped_csv(path, mapping)
    ]
    items += [item for path in nhtsa for item in read_complaints(path)]
    items += [item for path in recalls for item in read_recalls(path)]
    return [item for item in items if not isinstance(item, Skipped)]


def archive_and_detect(engine: Engine, events: Sequence[InboundEvent]) -> None:
    """``events`` through the worker's stages in batches, then detector rounds until settled."""
    topics = Topics()
    settings = Settings()
    steps = build_steps(settings)
    processor = BatchProcessor(engine, topics, steps=steps)
    messages = [
        Message(topics.name(FAMILY_OF_TYPE[e.event_type]), 0, offset, event_key(e), encode(e))
        for offset, e in enumerate(events)
    ]
    for start in range(0, len(messages), BATCH):
        processor.process(messages[start : start + BATCH])
    detector = DetectionRunner(engine, build_detector(settings))
    for _ in range(50):
        if not detector.run().stats:
            break


def measure(data: Path, workdir: Path) -> dict[str, Any]:
    from sqlalchemy.orm import Session

    from pipeline.reports import build_report, report_scope, write_report
    from pipeline.warehouse.read.report import read_report

    engine = make_engine(f"sqlite:///{workdir / 'warehouse.db'}")
    upgrade(engine)
    events = real_events([data / CHINESE], [data / NHTSA_WEEK])
    started = time.monotonic()
    archive_and_detect(engine, events)
    archived_s = time.monotonic() - started
    with Session(engine) as session:
        now = read_watermark(session)
    assert now is not None, "nothing archived"
    steps: dict[str, float] = {}
    clock, cpu = time.monotonic(), time.process_time()

    def progress(step: str) -> None:
        steps[step.split(" (", maxsplit=1)[0]] = round(time.monotonic() - clock, 2)

    scope = report_scope(since=None, brand=None, model=None, now=now)
    report = build_report(read_report(engine, scope, progress=progress))
    html = write_report(report, "html", workdir / "out", progress=progress)
    html_s, html_cpu_s = time.monotonic() - clock, time.process_time() - cpu
    started = time.monotonic()
    markdown = write_report(report, "md", workdir / "out")
    md_s = time.monotonic() - started
    charts = workdir / "out" / f"{report.report_id}_charts"
    return {
        "complaints": len(events),
        "archive_and_detect_s": round(archived_s, 1),
        "flags_open": report.flag_totals.open,
        "flags_listed": len(report.flags),
        "models": report.pareto_totals.models,
        "models_charted": len(report.pareto),
        "html_build_s": round(html_s, 2),
        "html_build_cpu_s": round(html_cpu_s, 2),
        "html_steps_s": steps,
        "html_mb": round(html.stat().st_size / 1e6, 2),
        "charts": len(list(charts.glob("*.svg"))),
        "md_build_s": round(md_s, 2),
        "md_lines": len(markdown.read_text(encoding="utf-8").splitlines()),
        "md_with_charts_mb": round(
            (markdown.stat().st_size + sum(f.stat().st_size for f in charts.iterdir())) / 1e6, 2
        ),
    }


def render_markdown(result: dict[str, Any]) -> str:
    met_size = result["html_mb"] <= TARGET_MB
    met_time = result["html_build_s"] <= TARGET_SECONDS
    steps = ", ".join(f"{name} at {s} s" for name, s in result["html_steps_s"].items())
    return "\n".join(
        [
            "# The HTML report on real complaints (`python -m bench.report_build`)",
            "",
            f"{result['complaints']:,} complaints (Chinese CSV and one NHTSA week), archived and "
            f"judged in {result['archive_and_detect_s']} s; {result['flags_open']} open flags "
            f"(top {result['flags_listed']} listed), {result['models']} models "
            f"({result['models_charted']} charted), {result['charts']} charts.",
            "",
            "| measure | value | target | met |",
            "|---|---:|---|---|",
            f"| HTML size | {result['html_mb']} MB | <= {TARGET_MB} MB | "
            f"{'yes' if met_size else 'NO'} |",
            f"| HTML build (warehouse to file) | {result['html_build_s']} s | "
            f"<= {TARGET_SECONDS} s | {'yes' if met_time else 'NO'} |",
            f"| HTML build, CPU time | {result['html_build_cpu_s']} s | | |",
            f"| Markdown build | {result['md_build_s']} s | | |",
            f"| Markdown lines | {result['md_lines']:,} | | |",
            f"| Markdown with its charts | {result['md_with_charts_mb']} MB | | |",
            "",
            f"Steps (seconds since the build started): {steps}. Wall time depends on what else "
            "runs on the machine; CPU time less so.",
            "",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DATA, help="The shared data folder.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = measure(args.data, Path(folder))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    text = render_markdown(result)
    (RESULTS / "report.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
