"""End-to-end fixtures: an isolated pipeline per test; workers run as real processes."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from kafka import KafkaConsumer
from sqlalchemy import Engine

from pipeline.common.config import Settings
from pipeline.harness.broker import EmbeddedBroker
from pipeline.harness.topics_admin import ensure_topics
from pipeline.harness.worker_process import WorkerProcess, settings_env
from pipeline.warehouse.engine import make_engine
from pipeline.warehouse.migrate import upgrade
from pipeline.warehouse.read.counts import table_counts


@dataclass
class Pipeline:
    """One isolated pipeline: its own topics, consumer group and warehouse on a shared broker."""

    values: dict[str, object]
    engine: Engine
    tmp: Path
    workers: list[WorkerProcess] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return Settings(**self.values)  # type: ignore[arg-type]

    def worker(self, name: str = "worker") -> WorkerProcess:
        proc = WorkerProcess(dict(self.values), log_path=self.tmp / f"{name}.log").start()
        self.workers.append(proc)
        return proc

    def counts(self) -> dict[str, int]:
        return table_counts(self.engine)

    def cli(self, *args: str, timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
        """Run `aftersales ARGS` with this pipeline's settings; it must succeed."""
        done = subprocess.run(
            [sys.executable, "-m", "pipeline", *args],
            env=settings_env(self.values),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        assert done.returncode == 0, (args, done.stderr[-3000:])
        return done


def read_messages(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes, dict]]:
    """Values and headers on ``topic`` from the start, once ``expected`` arrived (or ~30 s)."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=1000
    )
    found: list[tuple[bytes, dict]] = []
    try:
        for _ in range(30):
            found += [(m.value, dict(m.headers)) for m in consumer]
            if len(found) >= expected:
                break
    finally:
        consumer.close()
    return found


def make_pipeline(
    broker: EmbeddedBroker, warehouse_url: str, tmp: Path, **extra: object
) -> Pipeline:
    tag = uuid.uuid4().hex[:8]
    values: dict[str, object] = {
        "kafka_bootstrap": broker.bootstrap,
        "warehouse_url": warehouse_url,
        "var_dir": tmp / "var",
        "topic_prefix": f"e2e{tag}",
        "consumer_group": f"e2e-{tag}",
        **broker.client_settings,
        **extra,
    }
    engine = make_engine(warehouse_url)
    upgrade(engine)
    pipeline = Pipeline(values, engine, tmp)
    ensure_topics(pipeline.settings)
    return pipeline


@contextmanager
def running_pipeline(
    broker: EmbeddedBroker, warehouse_url: str, tmp: Path, **extra: object
) -> Iterator[Pipeline]:
    """A pipeline whose workers are stopped and engine disposed on the way out."""
    p = make_pipeline(broker, warehouse_url, tmp, **extra)
    try:
        yield p
    finally:
        for w in p.workers:
            w.stop()
        p.engine.dispose()


@pytest.fixture
def tansu_pipeline(tansu: EmbeddedBroker, tmp_path: Path) -> Iterator[Pipeline]:
    """A pipeline on Tansu and SQLite, for scenarios noida-db cannot run (see test docstrings)."""
    with running_pipeline(tansu, f"sqlite:///{tmp_path / 'warehouse.db'}", tmp_path) as p:
        yield p


@pytest.fixture
def pipeline(any_broker: EmbeddedBroker, warehouse_url: str, tmp_path: Path) -> Iterator[Pipeline]:
    with running_pipeline(any_broker, warehouse_url, tmp_path) as p:
        yield p
