"""What `produce`, `import` and `simulate` do: read a source, publish, report. Thin glue."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.common.config import Settings
from producers.publisher import Publisher
from producers.sources.event_files import read_event_file
from producers.sources.report import Skipped, SkipReport
from schemas.keys import event_key

BATCH_EVENTS = 200
MAX_BUFFERED = 5_000


class KeyBatcher:
    """Group events per (topic, key) into batch messages; per-key order is kept, memory bounded."""

    def __init__(self, publisher: Publisher, per_message: int = BATCH_EVENTS) -> None:
        self.publisher = publisher
        self.per_message = per_message
        self.groups: dict[tuple[str, bytes], list[BaseModel]] = {}
        self.buffered = 0
        self.by_type: Counter[str] = Counter()

    def add(self, event: BaseModel) -> None:
        group = self.groups.setdefault((self.publisher.topic_for(event), event_key(event)), [])
        group.append(event)
        self.buffered += 1
        self.by_type[event.event_type] += 1  # type: ignore[attr-defined]
        if len(group) >= self.per_message:
            self._flush_group(group)
        if self.buffered >= MAX_BUFFERED:
            self.flush()

    def _flush_group(self, group: list[BaseModel]) -> None:
        if len(group) == 1:
            self.publisher.publish(group[0])
        else:
            self.publisher.publish_batch(group)
        self.buffered -= len(group)
        group.clear()

    def flush(self) -> None:
        for group in self.groups.values():
            if group:
                self._flush_group(group)
        self.groups.clear()


def progress_bar(console: Console, total: int | None = None) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total else TextColumn("{task.completed:,} events"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def publish_events(
    settings: Settings,
    events: Iterable[BaseModel],
    console: Console,
    *,
    description: str = "publishing",
    batched: bool = True,
    total: int | None = None,
) -> Counter[str]:
    """Publish events (batched per key when allowed), with progress; returns counts by type."""
    with Publisher(settings) as publisher, progress_bar(console, total) as bar:
        task = bar.add_task(description, total=total)
        batcher = KeyBatcher(publisher, BATCH_EVENTS if batched else 1)
        for n, event in enumerate(events, start=1):
            batcher.add(event)
            if n % 500 == 0:
                bar.update(task, completed=n)
        batcher.flush()
        publisher.flush()
        bar.update(task, completed=sum(batcher.by_type.values()))
    return batcher.by_type


def _open(file: str, stack: ExitStack) -> BinaryIO:
    if file == "-":
        return sys.stdin.buffer
    return stack.enter_context(Path(file).open("rb"))


def produce_files(
    settings: Settings, files: Sequence[str], topic: str | None, console: Console
) -> int:
    """Publish every valid event of ``files``; print each rejection with file, position and reason.

    Returns how many events were rejected. The broker is reached before any file is read, so an
    unreachable broker fails at once.
    """
    report = SkipReport(examples_per_reason=20)
    with Publisher(settings) as publisher, progress_bar(console) as bar:
        task = bar.add_task("producing")
        for file in files:
            with ExitStack() as stack:
                counts, items = read_event_file(_open(file, stack))
                where = "stdin" if file == "-" else file
                for item in map(report.tally, items):
                    if isinstance(item, Skipped):
                        console.print(
                            f"{where} {counts} {item.line_no}: {item.reason}: {item.detail}",
                            markup=False,
                            highlight=False,
                            soft_wrap=True,
                        )
                        continue
                    _, event = item
                    publisher.publish(event, topic=topic)
                    bar.advance(task)
        publisher.flush()
    console.print(f"sent {report.yielded}, rejected {report.skipped_total}")
    return report.skipped_total


def tally(items: Iterable[Any], report: SkipReport) -> Iterator[BaseModel]:
    """Events of a reader, with skipped rows counted in ``report`` and left out."""
    for item in map(report.tally, items):
        if not isinstance(item, Skipped):
            yield item
