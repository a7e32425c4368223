"""Event files as people write them: one JSON object, a JSON array, or JSON Lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from typing import BinaryIO, Literal

from producers.sources.jsonl import read_jsonl
from producers.sources.report import Skipped
from schemas.codec import Rejected, decode
from schemas.events import InboundEvent

Position = Literal["line", "item"]
"""What a position counts: lines of JSON Lines, or items of one JSON document (from 1)."""
Items = Iterator[tuple[int, InboundEvent] | Skipped]


def read_event_file(stream: BinaryIO) -> tuple[Position, Items]:
    """What positions count, and (position, event) per accepted event or Skipped per rejection.

    A file whose first non-blank line is a whole JSON value is JSON Lines. Otherwise the file is
    one JSON document (a pretty-printed event or array, such as the files in
    ``examples/events/``): its events are decoded one by one, so an array may hold more events
    than one message could. A file that is neither is read as JSON Lines, so each bad line is
    reported by its number.
    """
    head: list[bytes] = []
    for line in stream:
        head.append(line)
        if line.strip():
            break
    if not head or _is_json(head[-1]):
        return "line", read_jsonl(chain(head, stream))
    whole = b"".join(head) + stream.read()
    try:
        document = json.loads(whole)
    except ValueError:
        return "line", read_jsonl(whole.splitlines())
    return "item", _items(document if isinstance(document, list) else [document])


def _items(items: list[object]) -> Items:
    for position, item in enumerate(items, start=1):
        # Each item is decoded as the message it would be alone, by the same rules as the worker.
        for decoded in decode(json.dumps(item).encode()):
            if isinstance(decoded, Rejected):
                yield Skipped(position, decoded.reason, decoded.error)
            else:
                yield position, decoded


def _is_json(line: bytes) -> bool:
    try:
        json.loads(line)
    except ValueError:
        return False
    return True
