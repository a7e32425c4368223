"""The raw ceiling: a bare aiokafka consumer (getmany + json.loads), run as a child process.

It counts events, not messages: a message holding a JSON array (a batch) counts its items.

``python -m bench.raw_consumer STATUS_FILE BOOTSTRAP GROUP EXPECTED TOPIC...`` writes
``{"ready", "count", "first_at", "done_at"}`` to STATUS_FILE as it goes, then idles
until stopped once it has seen EXPECTED.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer

STATUS_EVERY_S = 0.25


def write_status(path: Path, **status: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(status))
    os.replace(tmp, path)


async def consume(
    status: Path, bootstrap: str, group: str, expected: int, topics: list[str]
) -> None:
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        session_timeout_ms=int(float(os.environ.get("BENCH_SESSION_TIMEOUT_S", "2")) * 1000),
        heartbeat_interval_ms=int(float(os.environ.get("BENCH_HEARTBEAT_S", "0.5")) * 1000),
    )
    await consumer.start()
    count, ready, last_status = 0, False, 0.0
    first_at: float | None = None
    try:
        while count < expected:
            batches = await consumer.getmany(timeout_ms=100, max_records=10_000)
            if batches and first_at is None:
                first_at = time.time()
            for records in batches.values():
                for record in records:
                    value = json.loads(record.value)
                    count += len(value) if isinstance(value, list) else 1
            ready = ready or bool(consumer.assignment())
            now = time.time()
            if now - last_status >= STATUS_EVERY_S:
                write_status(status, ready=ready, count=count, first_at=first_at, done_at=None)
                last_status = now
        write_status(status, ready=True, count=count, first_at=first_at, done_at=time.time())
        # Stay alive (idle) so the parent can read final CPU and peak RSS; it stops us.
        await asyncio.Event().wait()
    finally:
        await consumer.stop()


def main() -> None:
    status, bootstrap, group, expected, *topics = sys.argv[1:]
    asyncio.run(consume(Path(status), bootstrap, group, int(expected), topics))


if __name__ == "__main__":
    main()
