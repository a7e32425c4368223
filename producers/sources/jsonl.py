"""JSON Lines files of events, decoded by the same rules as the stream processors."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from producers.sources.report import Skipped
from schemas.codec import Rejected, decode
from schemas.events import InboundEvent


def read_jsonl(lines: Iterable[bytes]) -> Iterator[tuple[int, InboundEvent] | Skipped]:
    """(line number, event) per accepted event, Skipped with the codec's reason per rejection.

    A line holds one event or a JSON array of events; blank lines are ignored. Lines count from 1.
    """
    for line_no, line in enumerate(lines, start=1):
        raw = line.strip()
        if not raw:
            continue
        for decoded in decode(raw):
            if isinstance(decoded, Rejected):
                yield Skipped(line_no, decoded.reason, _detail(decoded))
            else:
                yield line_no, decoded


def _detail(rejected: Rejected) -> str:
    if rejected.item_index is None:
        return rejected.error
    return f"item {rejected.item_index}: {rejected.error}"
