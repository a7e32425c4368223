"""The naive baseline: what a newcomer writes with Faust, one event at a time, one commit each.

``python -m bench.naive_app`` with BENCH_BOOTSTRAP, BENCH_GROUP, BENCH_TOPICS (comma-separated),
BENCH_DB (SQLite file), BENCH_READY_FILE and BENCH_SESSION_TIMEOUT_S / BENCH_HEARTBEAT_S in the
environment. It touches BENCH_READY_FILE once partitions are assigned. The blocking SQLite calls
on the event loop are the point: this is the baseline our worker is measured against.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import faust
import mode
from faust.worker import Worker

from schemas.events import INBOUND

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    event_type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    archived_at REAL NOT NULL
)
"""


def create_naive_app(env: dict[str, str]) -> faust.App:
    app = faust.App(
        env["BENCH_GROUP"],
        broker=f"kafka://{env['BENCH_BOOTSTRAP']}",
        value_serializer="raw",
        key_serializer="raw",
        topic_partitions=4,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=float(env.get("BENCH_SESSION_TIMEOUT_S", "2")),
        broker_heartbeat_interval=float(env.get("BENCH_HEARTBEAT_S", "0.5")),
        web_enabled=False,
        agent_supervisor=mode.CrashingSupervisor,
        store="memory://",
        datadir=env.get("BENCH_DATADIR", "var/naive-faust"),
    )
    db = sqlite3.connect(env["BENCH_DB"])
    db.execute(SCHEMA)
    db.commit()
    topic = app.topic(*env["BENCH_TOPICS"].split(","), value_type=bytes)
    ready_file = Path(env["BENCH_READY_FILE"])

    @app.agent(topic)
    async def archive(stream: Any) -> None:
        async for value in stream:
            event = INBOUND.validate_json(value)
            db.execute(
                "INSERT OR IGNORE INTO events VALUES (?, ?, ?, ?, ?)",
                (
                    str(event.event_id),
                    event.event_type,
                    event.occurred_at.isoformat(),
                    value.decode(),
                    time.time(),
                ),
            )
            db.commit()

    @app.on_partitions_assigned.connect
    async def assigned(sender: Any, /, *args: Any, signal: Any, **kwargs: Any) -> None:
        if args and args[0]:  # the set of assigned partitions
            ready_file.touch()

    return app


def main() -> None:
    app = create_naive_app(dict(os.environ))
    Worker(app, loglevel="warning", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
